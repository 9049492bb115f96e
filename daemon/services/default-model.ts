// A chat request without `model` is routed as "auto", as Fugusashi 0.3.0 defaulted it. Applied by
// every door before the shared schema check, so the doors accept and refuse the same requests.

/** Sets `model: "auto"` on a request object that has no model; anything else is left to the schema. */
export function defaultModelToAuto(body: unknown): void {
  if (body && typeof body === 'object' && !Array.isArray(body) && (body as { model?: unknown }).model === undefined)
    (body as { model: string }).model = 'auto';
}
