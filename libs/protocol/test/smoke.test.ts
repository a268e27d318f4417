import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_VERSION } from '../src/index.js';
test('version', () => assert.equal(PROTOCOL_VERSION, 1));
