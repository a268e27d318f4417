import { test } from 'node:test';
import { hasMosquitto, mosquittoBroker } from './helpers/brokers.js';
import { conformanceSuite } from './helpers/conformance.js';

if (hasMosquitto()) conformanceSuite(mosquittoBroker);
else
  test(
    'mosquitto conformance',
    { skip: 'mosquitto binary not found (apt-get install mosquitto); suite skipped' },
    () => undefined,
  );
