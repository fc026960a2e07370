/** leakwatch's version; a packaging test keeps it equal to package.json's. */
export const VERSION = '0.1.0';
/** The report and control-protocol readers check this. */
export const MIN_NODE_MAJOR = 20;
