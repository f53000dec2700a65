/**
 * Upper bounds of the sizes a user can give on the command line, checked before any work starts (README, "Limits").
 * Each is far above any real use and below what would exhaust memory or run without end on this class of machine.
 */
export const LIMITS = {
  /** Images to simulate or report (`simulate --images`); memoised runs of 1,000 take seconds. */
  images: 10_000,
  /** Images per isolated block run when sizing FIFOs (`fifo-size --images`): a steady state shows within 3; 100 take minutes. */
  fifoImages: 100,
  /** Worker threads. */
  threads: 256,
  /** Clock frequency for images/s, MHz. */
  clockMHz: 2_000,
  /** Wrap events listed per image. */
  wrapEvents: 10_000_000,
  /** Attention heads of an imported model. */
  heads: 4_096,
  /** Image size, resize and crop of an imported model, pixels. */
  imageSize: 8_192,
} as const;
