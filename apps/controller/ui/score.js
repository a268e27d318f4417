// Scores as a reviewer reads them: score ÷ threshold (1.00 = the threshold the event was flagged at, whatever the
// model's units), with the raw score and threshold on hover (the element's title).
/** @import { EventView } from '@linewatch/protocol/http' */

/** @param {Pick<EventView, 'score' | 'threshold' | 'normalizedScore'>} e */
export function ratioText(e) {
  return e.normalizedScore === null ? e.score.toFixed(3) : `${e.normalizedScore.toFixed(2)}×`;
}

/** @param {Pick<EventView, 'score' | 'threshold'>} e */
export function rawTitle(e) {
  return `raw score ${e.score.toFixed(3)} / threshold ${e.threshold.toFixed(3)}`;
}
