/**
 * What the store modules use of a generated prisma client. Both clients (sqlite, postgresql) come from one schema,
 * but TypeScript cannot relate their generic `groupBy`/`aggregate` result types or their `$transaction` options, so
 * neither client type is assignable to the other. This type names only the operations the store calls, in the
 * sqlite client's terms (groupBy/aggregate/transactions narrowed to the shapes used): each opener assigns its real
 * client to it, so the compiler checks that both clients fit — no cast. Only files under store/ import it.
 */
import type { Prisma, PrismaClient } from '../generated/sqlite/client.js';

type ModelName =
  | 'user'
  | 'session'
  | 'device'
  | 'event'
  | 'mask'
  | 'reviewDraft'
  | 'scoreAggregate'
  | 'fleetStatus'
  | 'trainingJob'
  | 'datasetSnapshot'
  | 'datasetItem'
  | 'normalSample'
  | 'modelVersion'
  | 'rolloutPolicy'
  | 'rollout'
  | 'rolloutTarget'
  | 'rolloutDecision'
  | 'enrollmentToken'
  | 'lease'
  | 'scoreSketchWindow'
  | 'thresholdRevision'
  | 'rolloutCommand'
  | 'defectClass'
  | 'maskClass';
type Op =
  | 'create'
  | 'createMany'
  | 'findUnique'
  | 'findFirst'
  | 'findMany'
  | 'update'
  | 'updateMany'
  | 'upsert'
  | 'deleteMany'
  | 'count';

type Count = { _count: { _all: number } };
type CountAll = { _count: { _all: true } };

interface EventGroups {
  groupBy<K extends 'line' | 'labelStatus' | 'defectClassId'>(
    args: { by: K[]; where: Prisma.EventWhereInput } & CountAll,
  ): PromiseLike<Array<Pick<{ line: string; labelStatus: string; defectClassId: string | null }, K> & Count>>;
}
interface MaskClassGroups {
  groupBy(
    args: { by: 'classId'[]; where: Prisma.MaskClassWhereInput } & CountAll,
  ): PromiseLike<Array<{ classId: string } & Count>>;
}
interface TargetGroups {
  groupBy<K extends 'rolloutId' | 'state'>(
    args: { by: K[]; where: Prisma.RolloutTargetWhereInput } & CountAll,
  ): PromiseLike<Array<Pick<{ rolloutId: string; state: string }, K> & Count>>;
}
interface FrameSums {
  aggregate(args: {
    where: Prisma.ScoreAggregateWhereInput;
    _sum: { count: true };
  }): PromiseLike<{ _sum: { count: number | null } }>;
}

type Models = { readonly [K in ModelName]: Pick<PrismaClient[K], Op> };

/** The model delegates, as seen inside and outside an interactive transaction. */
export type DbModels = Omit<Models, 'event' | 'rolloutTarget' | 'scoreAggregate' | 'maskClass'> & {
  readonly event: Models['event'] & EventGroups;
  readonly maskClass: Models['maskClass'] & MaskClassGroups;
  readonly rolloutTarget: Models['rolloutTarget'] & TargetGroups;
  readonly scoreAggregate: Models['scoreAggregate'] & FrameSums;
};

export type Db = DbModels & {
  $transaction<R>(fn: (tx: DbModels) => Promise<R>): Promise<R>;
  /** A batch: the statements run in one transaction, nothing is read in between. */
  $transaction(batch: Array<Prisma.PrismaPromise<unknown>>): Promise<unknown[]>;
  $disconnect(): Promise<void>;
  /** Only for fixed statements without parameters (the readiness ping). */
  $queryRawUnsafe<T = unknown>(query: string): PromiseLike<T>;
};
