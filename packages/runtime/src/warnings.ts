/**
 * kafkajs 2.2.4 schedules a timer with a negative delay (tulios/kafkajs#1751): Node runs it
 * after 1 ms, as kafkajs means, and prints a TimeoutNegativeWarning on every start. This hides
 * that one warning in a program that uses the Kafka bus; every other warning prints as before,
 * through the listeners that were there.
 */
export function hideKafkajsTimerWarning(
  proc: Pick<NodeJS.Process, "listeners" | "removeAllListeners" | "on"> = process,
): void {
  const printers = proc.listeners("warning");
  proc.removeAllListeners("warning");
  proc.on("warning", (warning) => {
    if (warning.name !== "TimeoutNegativeWarning") for (const print of printers) print(warning);
  });
}
