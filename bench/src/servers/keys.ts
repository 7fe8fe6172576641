/** The bench app's write key and read token (the servers' configuration and the load generators share them). */
export const WRITE_KEY = "wk_bench_0123456789abcdef";
export const READ_TOKEN = "rt_bench_0123456789abcdef";
