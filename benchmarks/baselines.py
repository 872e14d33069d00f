"""The two baselines each case is compared with, on the same instance and the same stages.

- ``highs_direct``: the plain formulation of ../shared/design/model.md (``build(plain=True)``,
  without our exact reductions), passed straight to a fresh ``highspy.Highs``: no Pyomo at
  solve time, the lexicographic stages done by changing costs and adding rows in highspy. Our
  time against it shows what the formulation gains and what the modelling layer costs.
- ``cbc_lp``: the same stages written as LP files and solved by the CBC binary (what the Excel
  add-in OpenSolver does). CBC ignores its time limit during the first LP, so it is killed from
  outside when the limit passes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

from planner.inputs.instance import Instance
from planner.solve.screening import formulate
from planner.solve.highs import column_map, highs_of, highs_solver
from planner.tolerances import KEEP_ROOM, STAGE_TOLERANCE


def stage_matrix(inst: Instance, objective: str, *, plain: bool = True):
    """The HiGHS model of a formulation (by default the plain one of model.md) and each
    stage's cost vector (with its constant)."""
    m = formulate(inst, objective=objective, plain=plain)
    opt = highs_solver()
    opt.set_instance(m)
    lp = highs_of(opt).getLp()
    columns = column_map(opt)
    costs = {}
    for name in m.stages:
        repn = generate_standard_repn(m.stage_objective[name].expr, quadratic=False)
        c = np.zeros(lp.num_col_)
        for var, coef in zip(repn.linear_vars, repn.linear_coefs):
            c[columns[id(var)]] += coef
        costs[name] = (c, float(repn.constant))
    return lp, costs


def highs_direct(inst: Instance, objective: str, *, time_limit: float, mip_gap: float) -> dict:
    lp, costs = stage_matrix(inst, objective)
    start = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", mip_gap)
    h.setOptionValue("mip_abs_gap", 0.0)  # as ours: the relative gap is the only stop
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    handover = time.perf_counter() - start
    stages, total = [], 0.0
    n = lp.num_col_
    for name, (c, constant) in costs.items():
        h.changeColsCost(n, np.arange(n, dtype=np.int32), c)
        h.setOptionValue("time_limit", time_limit)  # HiGHS's limit clock restarts per run
        t0 = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - t0
        total += seconds
        info = h.getInfo()
        status = h.modelStatusToString(h.getModelStatus())
        if info.primal_solution_status != 2:
            stages.append({"stage": name, "status": status, "seconds": seconds})
            break
        value = info.objective_function_value + constant
        stages.append({"stage": name, "status": status, "value": value, "seconds": seconds,
                       "nodes": int(info.mip_node_count)})
        nz = np.flatnonzero(c)
        h.addRow(-highspy.kHighsInf, value - constant + max(KEEP_ROOM, STAGE_TOLERANCE * abs(value)),
                 len(nz), nz.astype(np.int32), c[nz])
    return {"baseline": "highs_direct", "handover_seconds": handover, "solve_seconds": total,
            "stages": stages}


def cbc_lp(inst: Instance, objective: str, *, time_limit: float, mip_gap: float) -> dict:
    cbc = shutil.which("cbc")
    if not cbc:
        return {"baseline": "cbc_lp", "status": "cbc not installed (apt-get install coinor-cbc)"}
    m = formulate(inst, objective=objective)
    stages, total = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name in m.stages:
            for other, obj in m.stage_objective.items():
                if obj is not None:
                    obj.activate() if other == name else obj.deactivate()
            lp_file = Path(tmp) / f"{name}.lp"
            t0 = time.perf_counter()
            m.write(str(lp_file), io_options={"symbolic_solver_labels": False})
            write_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
            try:
                out = subprocess.run([cbc, str(lp_file), "sec", str(time_limit), "ratio",
                                      str(mip_gap), "solve"], capture_output=True, text=True,
                                     timeout=time_limit + 30).stdout
                killed = False
            except subprocess.TimeoutExpired:
                out, killed = "", True
            seconds = time.perf_counter() - t0
            total += seconds + write_seconds
            found = re.search(r"Objective value:\s*([-+0-9.eE]+)", out)
            status = "killed at the time limit" if killed else (
                "optimal" if "Result - Optimal solution found" in out else "stopped")
            if not found:
                stages.append({"stage": name, "status": status, "seconds": seconds})
                break
            obj = m.stage_objective[name]
            repn = generate_standard_repn(obj.expr, quadratic=False)
            value = float(found.group(1)) + float(repn.constant)
            stages.append({"stage": name, "status": status, "value": value,
                           "seconds": seconds, "write_seconds": write_seconds})
            # CBC prints 8 significant digits: keep a bound that its rounding cannot cut off
            m.add_component(f"keep_{name}", pyo.Constraint(
                expr=obj.expr <= value + 1e-7 * max(1, abs(value))))
    return {"baseline": "cbc_lp", "solve_seconds": total, "stages": stages}
