import type { Loudness } from "./parse.ts";

/** The loudness a video's audio should have: EBU R128 broadcast is -23 LUFS ± 1, streaming services often -14. */
export interface LoudnessTarget {
  integrated_lufs: number;
  tolerance_lu: number;
  /** Highest true peak allowed, dBTP (EBU R128: -1). */
  max_true_peak_dbtp: number;
}

export const EBU_R128: LoudnessTarget = { integrated_lufs: -23, tolerance_lu: 1, max_true_peak_dbtp: -1 };

/** Why a measurement is outside its target. */
export type LoudnessFlag = "silent" | "too_quiet" | "too_loud" | "true_peak_over";

/** ebur128 gives -70 LUFS (its absolute gate) when every block was gated out: nothing audible. */
const SILENT_LUFS = -70;

/** The flags of a measurement against a target (none: within target). */
export function judgeLoudness(l: Loudness, target: LoudnessTarget): LoudnessFlag[] {
  const i = l.integrated_lufs;
  if (i === null || i <= SILENT_LUFS) return ["silent"];
  const flags: LoudnessFlag[] = [];
  // Compared at ebur128's printed precision (0.1), so -24.0 against -23 ± 1 is within.
  const off = Math.round((i - target.integrated_lufs) * 10) / 10;
  if (off < -target.tolerance_lu) flags.push("too_quiet");
  if (off > target.tolerance_lu) flags.push("too_loud");
  if (l.true_peak_dbtp !== null && l.true_peak_dbtp > target.max_true_peak_dbtp) flags.push("true_peak_over");
  return flags;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const fixed = (v: number) => (Math.round(v * 100) / 100).toString();

/**
 * The `-af` filter that normalises audio measured as `measured` to `target`: loudnorm's second
 * pass, given the first pass's figures (the loudness step's ebur128 measurement: integrated,
 * range, true peak and the integrated gate, the same quantities loudnorm measures), in linear
 * mode. Linear mode applies one gain, target − measured, and so keeps the dynamics; loudnorm
 * uses it when the gained true peak stays under the target's and the measured range is within
 * the LRA asked (set here to the larger of 11 LU and the measured range, up to loudnorm's
 * maximum of 20); otherwise loudnorm falls back to its dynamic mode. loudnorm works at 192 kHz:
 * the encode's `-ar` brings the rate back. Undefined when there is nothing to normalise (silence,
 * or a measurement without integrated loudness).
 */
export function loudnormFilter(measured: Loudness, target: LoudnessTarget): string | undefined {
  const i = measured.integrated_lufs;
  if (i === null || i <= SILENT_LUFS) return undefined;
  const lra = measured.lra_lu ?? 0;
  const tp = measured.true_peak_dbtp ?? target.max_true_peak_dbtp;
  const thresh = measured.threshold_lufs ?? i - 10;
  const options = [
    `I=${fixed(clamp(target.integrated_lufs, -70, -5))}`,
    `TP=${fixed(clamp(target.max_true_peak_dbtp, -9, 0))}`,
    `LRA=${fixed(clamp(Math.max(11, Math.ceil(lra * 10) / 10), 1, 20))}`,
    `measured_I=${fixed(clamp(i, -99, 0))}`,
    // loudnorm reads a measured range of 0 as "not measured" and refuses linear mode: a steady tone measures 0.
    `measured_LRA=${fixed(clamp(Math.max(lra, 0.01), 0, 99))}`,
    `measured_TP=${fixed(clamp(tp, -99, 99))}`,
    `measured_thresh=${fixed(clamp(thresh, -99, 0))}`,
    "linear=true",
    "print_format=none",
  ];
  return `loudnorm=${options.join(":")}`;
}
