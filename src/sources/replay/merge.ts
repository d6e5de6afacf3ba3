// Several replayed files as one stream in time order. Each file's events already come in its own
// order, so a k-way merge by `at` gives back the order the PBX wrote them in: the rules' windows
// and attempt grouping need it (the messages log read whole before the security log would split
// every attempt into two, and put lines from the future into every window).

/** Events of `inputs` merged by `at` (ties: the earlier input first). */
export async function* mergeByTime<T extends { at: number }>(
  inputs: AsyncIterable<T>[],
  onError: (index: number, error: unknown) => void,
): AsyncGenerator<T> {
  const its = inputs.map((i) => i[Symbol.asyncIterator]());
  // A failing input is reported and leaves the merge; the others go on.
  const pull = async (i: number): Promise<T | null> => {
    try {
      const r = await its[i].next();
      return r.done ? null : r.value;
    } catch (e) {
      onError(i, e);
      return null;
    }
  };
  const heads: (T | null)[] = [];
  for (let i = 0; i < its.length; i++) heads.push(await pull(i));
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== null && (pick < 0 || h.at < (heads[pick] as T).at)) pick = i;
    }
    if (pick < 0) return;
    yield heads[pick] as T;
    heads[pick] = await pull(pick);
  }
}
