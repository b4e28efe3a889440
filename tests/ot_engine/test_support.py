"""Moving matrices onto and off the bars with mass: the same as numpy's np.ix_ indexing."""

import numpy as np
import pytest

from ot_engine._support import block, complement, embed


@pytest.mark.parametrize("keep_rows", ["all", "some"])
@pytest.mark.parametrize("keep_cols", ["all", "some"])
def test_block_and_embed_are_ix_indexing(keep_rows, keep_cols):
    rng = np.random.default_rng(7)
    A = rng.random((9, 7))
    rows = np.arange(9) if keep_rows == "all" else np.array([0, 3, 4, 8])
    cols = np.arange(7) if keep_cols == "all" else np.array([1, 2, 6])
    B = block(A, rows, cols)
    assert B.flags.c_contiguous
    np.testing.assert_array_equal(B, A[np.ix_(rows, cols)])
    expected = np.zeros_like(A)
    expected[np.ix_(rows, cols)] = B
    np.testing.assert_array_equal(embed(B, rows, cols, A.shape), expected)


def test_complement_is_setdiff():
    kept = np.array([0, 2, 3, 9])
    np.testing.assert_array_equal(complement(kept, 12), np.setdiff1d(np.arange(12), kept))
    assert complement(np.arange(5), 5).size == 0
