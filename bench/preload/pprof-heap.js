'use strict';
/**
 * Preload for the @datadog/pprof configuration: the heap sampling profiler
 * started at the settings dd-trace's profiler uses (one sample per 512 KiB
 * allocated, stacks 64 frames deep).
 */
const { heap } = require('@datadog/pprof');

heap.start(512 * 1024, 64);
