-- Where a dataset item's label came from (issue #20 item 10): confirmed-mask | confirmed-image | rejected |
-- sampled-normal. NULL on items of snapshots taken before it was kept.
ALTER TABLE "DatasetItem" ADD COLUMN "origin" TEXT;
