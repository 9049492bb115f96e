// The one mapping from a 1–5 rating to the 0–1 score outcomes carry.

/** Ratings 1–5 map to 0, .25, .5, .75, 1. */
export function ratingScore(rating: number): number {
  return (rating - 1) / 4;
}
