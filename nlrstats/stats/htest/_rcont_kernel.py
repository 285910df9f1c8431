"""R's ``rcont2`` (Patefield 1981, AS 159, as edited for R) on a buffer of uniforms.

Written once in the subset of Python that numba compiles: :mod:`.rcont` runs it as plain
Python for small jobs and :mod:`._rcont_jit` compiles the same source for large ones, so
both paths draw the same tables. The uniforms come from a buffer filled from R's stream
(:class:`nlrstats.stats.rng.RRNG`); a kernel that runs out of buffer reports how far it
got so the caller can refill and resume at the last complete table.
"""

from __future__ import annotations

import math

__all__ = ["sim_tables", "STAT_FISHER", "STAT_CHISQ", "STAT_TABLE"]

STAT_FISHER = 0  # -sum(log(x_ij!)), as C_Fisher_sim
STAT_CHISQ = 1   # sum((x - E)^2 / E) in column-major order, as C_chisq_sim
STAT_TABLE = 2   # keep the tables (r2dtable)


def sim_tables(nrowt, ncolt, fact, expected, kind, start, B, u, out_stat, out_tables, jwork, matrix):
    """Draw tables ``start, start + 1, ... < B`` from the uniforms ``u``.

    Returns ``(next table index, uniforms used by the complete tables)``; the statistic of
    table ``i`` goes to ``out_stat[i]`` (kinds FISHER, CHISQ) or the table itself to
    ``out_tables[i]`` (column-major; kind TABLE). R's ``rcont2`` is inlined (one function
    compiles and caches simply). ``jwork`` (ncol) and ``matrix`` (nrow * ncol) are work space;
    plain Python lists make the uncompiled path fast.
    """
    nrow = len(nrowt)
    ncol = len(ncolt)
    nu = len(u)
    ntotal = 0
    for i in range(nrow):
        ntotal += nrowt[i]
    nr_1 = nrow - 1
    nc_1 = ncol - 1
    upos = 0
    it = start
    while it < B:
        table_start = upos
        ib = 0
        for j in range(nc_1):
            jwork[j] = ncolt[j]
        jc = ntotal
        for l in range(nr_1):
            ia = nrowt[l]
            ic = jc
            jc -= ia
            for m in range(nc_1):
                id_ = jwork[m]
                ie = ic
                ib = ie - ia
                ii = ib - id_
                ic -= id_
                if ie == 0:  # row l is full: the rest of it is zero
                    for j in range(m, nc_1):
                        matrix[l + j * nrow] = 0
                    ia = 0
                    break
                if upos >= nu:
                    return it, table_start
                U = u[upos]
                upos += 1
                nlm = 0
                while True:  # outer loop
                    nlm = int(ia * (id_ / ie) + 0.5)
                    x = math.exp(fact[ia] + fact[ib] + fact[ic] + fact[id_] - fact[ie] - fact[nlm]
                                 - fact[id_ - nlm] - fact[ia - nlm] - fact[ii + nlm])
                    if x >= U:
                        break
                    if x == 0.0:
                        raise ValueError("rcont2: exp underflow to 0; algorithm failure")
                    sumprb = x
                    y = x
                    nll = nlm
                    found = False
                    while True:
                        j = (id_ - nlm) * float(ia - nlm)
                        lsp = (nlm == ia) or (nlm == id_)
                        if not lsp:
                            nlm += 1
                            x *= j / (float(nlm) * (ii + nlm))
                            sumprb += x
                            if sumprb >= U:
                                found = True
                                break
                        while True:
                            j = nll * float(ii + nll)
                            lsm = nll == 0
                            if not lsm:
                                nll -= 1
                                y *= j / (float(id_ - nll) * (ia - nll))
                                sumprb += y
                                if sumprb >= U:
                                    nlm = nll
                                    found = True
                                    break
                                if not lsp:
                                    break
                            if lsm:
                                break
                        if found or lsp:
                            break
                    if found:
                        break
                    if upos >= nu:
                        return it, table_start
                    U = sumprb * u[upos]
                    upos += 1
                matrix[l + m * nrow] = nlm
                ia -= nlm
                jwork[m] -= nlm
            matrix[l + nc_1 * nrow] = ia
        for m in range(nc_1):
            matrix[nr_1 + m * nrow] = jwork[m]
        matrix[nr_1 + nc_1 * nrow] = ib - matrix[nr_1 + (nc_1 - 1) * nrow]
        if kind == STAT_FISHER:
            ans = 0.0
            for k in range(nrow * ncol):
                ans -= fact[matrix[k]]
            out_stat[it] = ans
        elif kind == STAT_CHISQ:
            chisq = 0.0
            for k in range(nrow * ncol):
                e = expected[k]
                o = float(matrix[k])
                chisq += (o - e) * (o - e) / e
            out_stat[it] = chisq
        else:
            row = out_tables[it]
            for k in range(nrow * ncol):
                row[k] = matrix[k]
        it += 1
    return it, upos
