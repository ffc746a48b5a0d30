/** No verification: every output the executor produced passes. */
import type { Verdict, Verifier } from "../types.js";

export class NoVerifier implements Verifier {
  readonly kind = "none";

  async verify(): Promise<Verdict> {
    return { passed: true, confidence: 1, feedback: "", issues: [] };
  }
}
