/** The command table, in help order. */
import type { Command } from '../cli/command.js';
import { bench } from './bench.js';
import { evalCmd } from './eval.js';
import { exportCmd } from './export.js';
import { keygen } from './keygen.js';
import { predictCmd } from './predict.js';
import { sign } from './sign.js';
import { finetune, train } from './train.js';
import { verify } from './verify.js';
import { worker } from './worker.js';

export const COMMANDS: readonly Command[] = [
  train,
  finetune,
  evalCmd,
  predictCmd,
  bench,
  keygen,
  sign,
  verify,
  exportCmd,
  worker,
];
