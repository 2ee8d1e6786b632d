"""The merge's temporary file of decisions (services/merge/spill.py) gives back each decision
as it was kept, in any order of reading: in the files' own order (read ahead), backwards, at
random, and across files kept one after another."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from annotator.services.merge.spill import READ_AHEAD, Spill

fragments = st.lists(st.binary(max_size=600), max_size=300)


@given(st.lists(fragments, min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_every_fragment_reads_back_as_kept(files, rnd):
    spill = Spill()
    try:
        kept = [spill.keep(f) for f in files]
        for spilled, expected in zip(kept, files, strict=True):
            assert len(spilled) == len(expected)
            assert [spilled[i] for i in range(len(expected))] == expected  # in order
            assert [spilled[-1 - i] for i in range(len(expected))] == expected[::-1]
        reads = [(n, i) for n, f in enumerate(files) for i in range(len(f))]
        rnd.shuffle(reads)
        for n, i in reads:
            assert kept[n][i] == files[n][i]
    finally:
        spill.close()


def test_reading_ahead_stays_within_the_file_and_past_its_window():
    big = [bytes([n % 251]) * 1000 for n in range(3 * READ_AHEAD // 1000)]
    small = [b"x", b"", b"yz"]
    spill = Spill()
    try:
        first, second = spill.keep(big), spill.keep(small)
        assert list(second) == small  # (read ahead, it must not run into the next file's)
        assert list(first) == big
        order = list(range(len(big)))
        random.Random(1).shuffle(order)
        assert [first[i] for i in order] == [big[i] for i in order]
        assert first[5:8] == big[5:8]
    finally:
        spill.close()
