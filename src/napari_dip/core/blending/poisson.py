"""Poisson (gradient-domain) blending, solved with a sparse LU (classical baseline; conventions of
:mod:`.regions`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse.linalg import splu

from .regions import as_mask, channels_last3, check_pair

_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def poisson_blend(foreground: ArrayLike, background: ArrayLike, mask: ArrayLike, *,
                  mixed_gradients: bool = False, clip: bool = True) -> NDArray[np.floating]:
    """Poisson (seamless cloning) blending, Perez et al. 2003.

    Inside the mask ``Omega`` the result ``f`` solves the discrete Poisson
    equation with the foreground's gradient as guidance field and the background
    as Dirichlet boundary values: for every pixel ``p`` in ``Omega``,

    ``|N_p| f_p - sum_{q in N_p & Omega} f_q = sum_{q in N_p - Omega} B_q + sum_{q in N_p} (A_p - A_q)``

    with ``N_p`` the 4-neighbours of ``p`` that lie inside the image. Outside the
    mask the result is the background, exactly. Where the mask touches the
    image border the missing neighbours are simply dropped (a natural Neumann
    condition), so no values from outside the image are used.

    The sparse system (one unknown per mask pixel) is assembled with
    :mod:`scipy.sparse` and LU-factorised once with
    :func:`scipy.sparse.linalg.splu`; the factorisation is reused for all
    channels.

    Parameters
    ----------
    foreground, background : (H, W) or (H, W, C) array_like
        Images with values in ``[0, 1]`` and identical shapes.
    mask : (H, W) array_like of bool or int
        Non-zero where the foreground goes.
    mixed_gradients : bool, optional
        Use, per neighbour pair and channel, whichever of the foreground or
        background differences is larger in magnitude (mixed seamless cloning)
        instead of the foreground's alone. Default False.
    clip : bool, optional
        Clip the result to ``[0, 1]`` (default True): the solution can leave
        that range when the two images differ strongly in brightness.

    Returns
    -------
    fused : ndarray
        Same shape as the inputs. An empty mask returns the background. A mask
        covering the whole image has no boundary values, so the Poisson problem
        only fixes the result up to a constant; the foreground is returned.

    Raises
    ------
    ValueError
        On shape mismatches or values outside ``[0, 1]``.
    """
    fg, bg, _, dtype = check_pair(foreground, background)
    m = as_mask(mask, fg.shape)
    if not m.any():
        return bg.astype(dtype, copy=True)
    if m.all():
        return fg.astype(dtype, copy=True)
    return _solve(fg, bg, m, mixed_gradients, clip).astype(dtype, copy=False)


def _solve(fg: np.ndarray, bg: np.ndarray, m: np.ndarray, mixed_gradients: bool, clip: bool) -> np.ndarray:
    """:func:`poisson_blend` for a mask with both inside and outside pixels, in float64."""
    f3 = channels_last3(fg).astype(np.float64, copy=False)
    b3 = channels_last3(bg).astype(np.float64, copy=False)
    ys, xs = np.nonzero(m)
    matrix, rhs = _poisson_system(f3, b3, m, ys, xs, mixed_gradients)
    solution = splu(matrix).solve(rhs)

    out = b3.copy()
    out[ys, xs] = solution
    if clip:
        out[ys, xs] = np.clip(out[ys, xs], 0.0, 1.0)
    if fg.ndim == 2:
        out = out[..., 0]
    return out


def _poisson_system(f3: NDArray[np.float64], b3: NDArray[np.float64], m: NDArray[np.bool_], ys, xs,
                    mixed_gradients: bool) -> tuple[sparse.csc_matrix, NDArray[np.float64]]:
    """The sparse matrix (CSC) and right-hand sides (one column per channel) of :func:`poisson_blend`'s
    system, one unknown per mask pixel ``(ys, xs)``; ``f3``, ``b3``: ``(H, W, C)`` float64."""
    h, w = m.shape
    n = ys.size
    index = np.full(m.shape, -1, dtype=np.int64)
    index[ys, xs] = np.arange(n)

    diag = np.zeros(n)
    rhs = np.zeros((n, f3.shape[-1]))
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    for dy, dx in _NEIGHBOURS:
        ny, nx = ys + dy, xs + dx
        valid = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        p = np.nonzero(valid)[0]  # unique within one direction
        qy, qx = ny[p], nx[p]
        diag[p] += 1.0
        guide = f3[ys[p], xs[p]] - f3[qy, qx]
        if mixed_gradients:
            guide_b = b3[ys[p], xs[p]] - b3[qy, qx]
            guide = np.where(np.abs(guide_b) > np.abs(guide), guide_b, guide)
        rhs[p] += guide
        q_in = m[qy, qx]
        rows.append(p[q_in])
        cols.append(index[qy[q_in], qx[q_in]])
        rhs[p[~q_in]] += b3[qy[~q_in], qx[~q_in]]

    r = np.concatenate(rows)
    c = np.concatenate(cols)
    diag_idx = np.arange(n)
    values = np.concatenate([diag, -np.ones(r.size)])
    rows_all = np.concatenate([diag_idx, r])
    cols_all = np.concatenate([diag_idx, c])
    matrix = sparse.coo_matrix((values, (rows_all, cols_all)), shape=(n, n)).tocsc()
    return matrix, rhs
