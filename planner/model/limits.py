"""Policy limits from the RiskLimits sheet; each row of the sheet is one family of linear rows."""

from __future__ import annotations

from pyomo.core.util import quicksum

from planner.model.family import family, relax, slack
from planner.inputs.instance import Instance


def define(m, inst: Instance) -> None:
    share_rows, capex_rows, high_rows = [], [], []
    for i, lim in enumerate(inst.limits):
        if lim.limit == "max_share":
            keys = (lim.key,) if lim.key else inst.units(lim.unit)
            share_rows += [(i, key, t) for key in keys for t in inst.period_ids
                           if inst.total_demand[t] > 0]
        elif lim.limit == "max_capex":
            keys = (lim.key,) if lim.key and lim.unit != "total" else (
                ("",) if lim.unit == "total" else inst.units(lim.unit))
            capex_rows += [(i, key) for key in keys]
        else:
            high_rows.append(i)
    max_share(m, inst, share_rows)
    max_capex(m, inst, capex_rows)
    max_high_risk_capex_share(m, inst, high_rows)


def max_share(m, inst: Instance, rows) -> None:
    """sum_{r in unit} f[r,t] <= sigma * D_t for the limit's corridor or country, every period t
    (D_t: total demand of t). Never infeasible: unmet demand absorbs what the limit refuses."""
    m.max_share = family(rows, lambda m, i, key, t: quicksum(
        m.f[r, t] for r in inst.routes_in_unit(inst.limits[i].unit, key))
        <= inst.limits[i].value * inst.total_demand[t])


def _capex_in(m, inst: Instance, unit: str, key: str):
    """Capex of the projects in a country, on a corridor's segments, or of all projects."""
    if unit == "country":
        chosen = [p for p, cs in inst.project_countries.items() if key in cs]
    elif unit == "corridor":
        chosen = [p for p, gs in inst.project_corridors.items() if key in gs]
    else:
        chosen = list(inst.projects)
    return quicksum(inst.projects[p].capex * m.x[p, t] for p in chosen
                    for t in inst.start_periods(p))


def max_capex(m, inst: Instance, rows) -> None:
    """sum_{p in unit} F_p sum_t x[p,t] <= E for the limit's country, corridor or total."""
    slack(m, "max_capex_slack", rows)
    m.max_capex = family(rows, lambda m, i, key: _capex_in(
        m, inst, inst.limits[i].unit, key) <= inst.limits[i].value
        + relax(m, "max_capex_slack", (i, key)))


def max_high_risk_capex_share(m, inst: Instance, rows) -> None:
    """sum_{p high} F_p sum_t x[p,t] <= rho * sum_p F_p sum_t x[p,t]."""
    high = [p for p, proj in inst.projects.items() if proj.risk_class == "high"]
    slack(m, "high_risk_slack", rows)
    m.max_high_risk_capex_share = family(rows, lambda m, i: quicksum(
        inst.projects[p].capex * m.x[p, t] for p in high for t in inst.start_periods(p))
        <= inst.limits[i].value * m.capex + relax(m, "high_risk_slack", i))
