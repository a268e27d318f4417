export { sharedData, type SharedData } from './shared-data.js';
export { sharedDataConfig, type SharedDataConfig } from './config.js';
export { TestingError, TestingErrorCodes, isTestingError, type TestingErrorCode } from './errors.js';
export { DEFAULT_TEST_HOSTS, makeTestCa, type TestCa, type TestCaOptions } from './tls-ca.js';
