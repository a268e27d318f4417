/** `npm run bench:agent -- --help`. */
export const HELP = `npm run bench:agent -- [options]

Throughput (runs): the agent with on-demand synthetic cameras vs bare session.run, in alternating slices.
  --cameras 1,4|none     camera counts for the throughput runs (none: skip them)
  --seconds 30           end-to-end seconds per camera count; --slice 2: slice length
  --pace on-demand|realtime, --fps 240   camera pacing of the throughput runs
  --rss-seconds N        add an N s soak with the largest camera count (RSS over time)

Line rate (lineRate): cameras paced at their real fps, frames arrive whether or not the agent is ready.
  --line-rate 1x25,4x25|none   CAMERASxFPS per run (default 1x25,4x25)
  --line-seconds 20      measured seconds per run (after a 3 s warm-up)
  --capacity-fps N       what the box scores flat out, for loadFraction (default: the throughput runs' bareFps, or
                         2 s of bare session.run measured before the line-rate runs)
  --phase drift|spread|aligned   how the cameras' frames fall relative to each other: drift (default) = free-running
                         clocks a little apart, so every phase relation occurs in equal measure during the run;
                         spread = evenly spaced (best case); aligned = all at once (cameras on one hardware trigger)
  Each run: { cameras, fps, p50Ms, p99Ms, p99OverP50, dropped, loadFraction (total fps / bare fps), waitedShare
  (frames that found every session busy), withoutWait (latency minus that wait: the agent's own work), split:
  median and tail (slowest 1 %) of wait / transit / pre / run / after ms, tailWithMainGc, tailWithEncode, mainGc,
  mainThreadBusy, eventLoopDelayP99Ms, cameraTickLateP99Ms, loadavgBefore/After }. Target: p99OverP50 <= 1.5 and
  dropped = 0 while loadFraction <= 0.5. The box's load (loadavg) is recorded with every run: on a shared box
  compare runs at similar load, and read the split to see whether a tail is queueing (wait) or the machine (run).

Model and agent:
  --package dir|pkg.tar.gz --key pub.pem   else dist/bench-accuracy/normal, else a tiny built-in model
  --providers cpu|cuda,cpu   --sessions auto|N   --threads N   --in-process (model on the main thread)
  --frame 640x480   --size 256 (tiny model)   --threshold x   --thresholds calibrated|manifest
  --json out.json        also write the JSON result there
`;
