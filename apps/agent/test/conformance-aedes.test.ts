import { aedesBroker } from './helpers/brokers.js';
import { conformanceSuite } from './helpers/conformance.js';

conformanceSuite(aedesBroker);
