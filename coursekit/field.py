"""The field of runners of one race: simulation, and its fit on past split times.

:func:`simulate_field` simulates repeated fields of runners on one race given as
arrays (reference leg times, km-effort, barriers, dwell): per barrier the
eliminated, per checkpoint the withdrawn, the arrivals hour by hour
(occupancy) and the runners present hour by hour (over their planned stop), the
last runner's ETA (:class:`FieldSimulation`).
:func:`fit_field` calibrates its parameters (:class:`FieldParams`) on a past
race's split times, :func:`history_outcomes` tells what happened there in the
same terms, :func:`fit_reference_fatigue` fits the pace model's runner to
a past median finisher and :func:`fit_start_compression` the start compression
to a past race's slopes, against the weights it is simulated with.

The model (:class:`FieldParams`, docs/simulation.md): each runner is a log
time multiplier on a reference runner, weighted leg by leg for fatigue and
compressed at the start, with leg-to-leg noise. Runners withdraw with a hazard
per km-effort and when they fall behind the next barrier's pace, and are
eliminated by a barrier they reach late.

Pure functions on numpy arrays: nothing here reads a file or knows a course,
a plan or an event (split times are read by :mod:`coursekit.history`);
:mod:`coursekit.event` builds a race's arrays and calls these.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .errors import HistoryError, OptionError
from .history import FINISHER, OUT_OF_TIME

__all__ = [
    "FIELD_GRADE",
    "FIELD_SPEED_LOSS",
    "FieldParams",
    "DEFAULT_FIELD",
    "FIELD_EFFORT_RANGE",
    "FINISH_SHARE_HAZARD",
    "FINISH_SHARE_BOUNDS",
    "finish_share_by_effort",
    "FieldSimulation",
    "FieldFit",
    "fatigue_weights",
    "pace_weights",
    "start_weights",
    "simulate_field",
    "history_outcomes",
    "late_stops",
    "fit_field",
    "fit_start_compression",
    "fit_reference_fatigue",
]

HOUR = 3600.0
_OCC_BINS = 2_000_000  # minute bins (rows x minutes x repetitions) counted in one pass
_PRESENT_VALUES = 1 << 20  # runner arrivals at one row placed in hours in one pass
_CAL_PART = 5_000  # runners per part of the level's calibration sample (one thread's work)

# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class FieldParams:
    """Parameters of a simulated field of runners.

    A runner ``i`` has a log-ability :math:`\\theta_i` (log of a time
    multiplier on the reference runner) and a standard score
    :math:`z_i \\sim N(0, 1)`, :math:`\\theta_i = \\mu + s z_i`. Their time on leg
    ``k`` is

    .. math:: t_{ik} = r_k \\exp(\\theta_i w_k + \\sigma \\varepsilon_{ik}),
              \\quad \\varepsilon_{ik} \\sim N(0, 1)

    where :math:`r_k` is the reference runner's leg time and
    :math:`w_k = 1 + \\beta (c_k - \\bar c)` the fatigue weight of the leg
    (:math:`c_k` the effort fraction at the leg's middle, :math:`\\bar c` its
    time-weighted mean, so that slower runners are relatively slower late in
    the race when :math:`\\beta > 0`). Withdrawals (DNF) follow a hazard per
    km-effort :math:`\\lambda e^{\\kappa z_i}`: proportional to the effort of
    each leg, higher for slower runners when :math:`\\kappa > 0`; a runner
    withdraws at the checkpoint ending the leg, except on the final leg, whose
    withdrawals are booked at the checkpoint before the finish (where such a
    runner is last seen; nobody withdraws at the finish line).

    Runners behind the pace of the next barrier withdraw before it (most real
    runners who cannot make a barrier stop at an aid station instead of being
    timed out): at a checkpoint ``k`` reached at :math:`t_{ik}`, the runner's
    projected arrival at the next barrier ``b`` is
    :math:`t_{ik} R_b / R_k` (:math:`R` the reference runner's arrivals) and its
    ratio to the barrier is :math:`q_{ik} = t_{ik} R_b / (R_k T_b)`; the runner
    withdraws there with the extra hazard :math:`h_0 q_{ik}^{\\gamma}`
    (probability :math:`1 - e^{-h}` with the km-effort hazard of the leg). A
    runner is eliminated only by a barrier they reach late.

    Runners also look one barrier further: with :math:`q'_{ik} = t_{ik} R_{b'}
    / (R_k T_{b'})` the same ratio at the barrier after next :math:`b'`, the
    hazard at checkpoint ``k`` has the extra term :math:`h'_0 q'^{\\gamma'}_{ik}`
    (``ahead_hazard``, ``ahead_slope``): a runner who can still make the next
    barrier but not the one after it stops at an aid station before (0: off,
    the model before the fourteenth sprint).

    Runners know their own next leg (fifteenth sprint): at the last checkpoint
    ``k`` before a barrier ``b = k + 1``, with :math:`A_{ib}` the runner's own
    arrival there (his simulated leg, noise included), the hazard has the extra
    term :math:`h''_0 (A_{ib} / T_b)^{\\gamma''}` (``foresight_hazard``,
    ``foresight_slope``): a runner who will not make the barrier stops at the
    aid station before it (0: off). :math:`T_b` is the published barrier
    (``cutoff_elapsed``), not the barrier less the planned stop at ``b`` that
    eliminates there: :func:`fit_field` fits the term on past arrivals over the
    published barrier (split times carry no planned stop), and with a fitted
    :math:`\\gamma''` of 37-74 a ratio off by 1 % (a 15 min stop at a 24 h
    barrier) would double the hazard the fit measured.

    Runners start together and the field spreads out over the first hours
    (crowding on the first trails, slower runners going out near the pack's
    pace): a runner's deviation from the median runner,
    :math:`\\theta_i - \\mu`, weighs :math:`w_k h_k` on leg ``k`` instead of
    :math:`w_k`, with :math:`h_k = 1 - a \\exp(-\\tau_k / \\tau_0)` and
    :math:`\\tau_k` the median runner's elapsed time at the leg's middle
    (``start_compression`` :math:`a`, ``start_time_s`` :math:`\\tau_0`). The
    median runner's own times, and every runner's late legs, are unchanged.
    :math:`\\tau_0` is one value for every race; :math:`a` is fitted per race
    on a past edition's split times where the weights it is simulated with are
    known (:func:`fit_start_compression`, the ``--times`` route).

    Runners chase the barriers: a runner projected late at the next barrier
    at the checkpoint that starts leg ``k`` (:math:`q_{i,k-1} > 1`, the same
    ratio as the behind-the-barrier hazard, on the simulated arrival so far)
    and slower than the median runner runs that leg with his deviation shrunk
    by the share :math:`c` (``chase_share``):

    .. math:: (\\theta_i - \\mu) w_k h_k \\to (1 - c)(\\theta_i - \\mu) w_k h_k
              \\quad \\text{when } q_{i,k-1} > 1 \\text{ and } \\theta_i > \\mu

    (his pace pulled toward the median's, i.e. toward the pace the barrier
    needs); back on time (:math:`q \\le 1`) he runs his own pace again.

    Slower runners lose less late in the race (sixteenth sprint): a runner
    slower than the median (:math:`\\theta_i > \\mu`) has his deviation weighted
    :math:`w_k h_k (1 - e c_k)` on leg ``k`` instead of :math:`w_k h_k`, with
    :math:`c_k` the effort fraction at the leg's middle (``tail_ease``
    :math:`e`; 0: off). In the Réunion races' split times the slope of the
    late legs' log time on the log arrival so far is 0.5-0.75 of the faster
    half's among the slower half of the runners on time, where the model with
    :math:`e = 0` gives about 0.95; at the Templiers it is 1.0-1.25. The median
    runner and the faster half are unchanged.

    Attributes
    ----------
    spread : float
        :math:`s`, standard deviation of the log-ability [-].
    leg_sigma : float
        :math:`\\sigma`, leg-to-leg variability (log of the leg time) [-].
    fatigue : float
        :math:`\\beta`, fatigue slope of the weights [-].
    dnf_share : float
        Share of starters who withdraw for reasons other than the barriers,
        in a race without barriers [-]; sets :math:`\\lambda`.
    dnf_ability : float
        :math:`\\kappa`, how much more slower runners withdraw [-].
    finish_share : float
        Default share of starters who finish [-] (used to place :math:`\\mu`
        when neither a share nor :math:`\\mu` is given).
    eliminated_max : float or None
        When :math:`\\mu` is placed by the default ``finish_share``: the most
        starters the barriers may eliminate [-]; if the finish share would
        eliminate more, the field is made faster until they eliminate this
        share (and more runners finish). None: no limit. An explicit
        ``finish_share`` passed to :func:`simulate_field` is always honoured.
    behind_hazard : float
        :math:`h_0`, withdrawal hazard at a checkpoint of a runner projected
        exactly at the next barrier [-] (0: nobody anticipates a barrier).
    behind_slope : float
        :math:`\\gamma`, how fast that hazard grows with the projected
        lateness [-] (per unit of log ratio to the barrier).
    skew : float
        :math:`\\lambda`, shape of the ability distribution (Box-Cox of the
        time multiplier): :math:`\\theta_i = \\mu + \\ln(1 + \\lambda s z_i) / \\lambda`
        (0: log-normal, :math:`\\theta_i = \\mu + s z_i`; 1: time multipliers
        normal). Real fields have a long fast tail and a short slow tail in log
        time (:math:`\\lambda \\approx 1`): the slowest runners who would not make
        the barriers mostly do not start.
    level_sd : float
        Standard deviation of a shift of :math:`\\mu` shared by the whole field
        of one repetition [-]: the edition-to-edition variation of a race's
        level (weather, course state, who enters), which a forecast of next
        year's race must include. 0: every repetition is the same edition.
    start_compression : float
        :math:`a`, how much less the runners' differences weigh at the start
        [-] (0: not at all; 1: the first moments are run at the median's pace).
    start_time_s : float
        :math:`\\tau_0`, the median runner's time over which that compression
        fades [s].
    chase_share : float
        :math:`c`, share of his deviation from the median a runner projected
        late at the next barrier drops on the next leg [-] (0: nobody chases
        a barrier; 1: he runs it at the median's pace).
    ahead_hazard : float
        :math:`h'_0`, withdrawal hazard at a checkpoint of a runner projected
        exactly at the barrier after next [-] (0: off).
    ahead_slope : float
        :math:`\\gamma'`, how fast that hazard grows with the projected
        lateness there [-].
    foresight_hazard : float
        :math:`h''_0`, withdrawal hazard at the checkpoint before a barrier of a
        runner whose own (simulated) arrival there is exactly its time [-] (0: off).
    foresight_slope : float
        :math:`\\gamma''`, how fast that hazard grows with that arrival's
        ratio to the barrier [-].
    tail_ease : float
        :math:`e`, share of a slower-than-median runner's deviation he no longer
        loses by the finish, growing with the effort fraction [-] (0: off).
    fastest : float
        Floor of the time multiplier on the median runner's,
        :math:`\\theta_i - \\mu \\ge \\ln(\\mathrm{fastest})` [-] (0: none): the
        winner's finish time over the median runner's in the race fitted. The
        Box-Cox fast tail, fitted on the 2-98 % quantiles, runs on without
        bound beyond them: in-sample its 0.1 % quantile at the finish was
        15-30 % faster than the real one at six of ten race-editions
        (thirty-third sprint).
    source : str
        Where the numbers come from.
    """

    spread: float = 0.17
    leg_sigma: float = 0.10
    fatigue: float = 0.5
    dnf_share: float = 0.15
    dnf_ability: float = 0.6
    finish_share: float = 0.78
    behind_hazard: float = 0.0
    behind_slope: float = 25.0
    skew: float = 0.0
    level_sd: float = 0.0
    eliminated_max: float | None = None
    start_compression: float = 0.0
    start_time_s: float = 3600.0
    chase_share: float = 0.0
    ahead_hazard: float = 0.0
    ahead_slope: float = 20.0
    foresight_hazard: float = 0.0
    foresight_slope: float = 20.0
    tail_ease: float = 0.0
    fastest: float = 0.0
    source: str = "default"

    def __post_init__(self):
        for key, lo, hi in (
            ("spread", 0.0, 2.0),
            ("leg_sigma", 0.0, 2.0),
            ("fatigue", -2.0, 2.0),
            ("dnf_share", 0.0, 0.95),
            ("dnf_ability", -3.0, 3.0),
            ("finish_share", 0.0, 1.0),
            ("behind_hazard", 0.0, 100.0),
            ("behind_slope", 0.0, 200.0),
            ("skew", -3.0, 3.0),
            ("level_sd", 0.0, 1.0),
            ("start_compression", 0.0, 1.0),
            ("start_time_s", 1.0, 1e6),
            ("chase_share", 0.0, 1.0),
            ("ahead_hazard", 0.0, 100.0),
            ("ahead_slope", 0.0, 200.0),
            ("foresight_hazard", 0.0, 100.0),
            ("foresight_slope", 0.0, 200.0),
            ("tail_ease", 0.0, 1.0),
            ("fastest", 0.0, 1.0),
        ):
            v = getattr(self, key)
            if not (lo <= v <= hi) or not math.isfinite(v):
                raise ValueError(f"FieldParams.{key} must be in [{lo}, {hi}]; got {v}")
        v = self.eliminated_max
        if v is not None and not (0.0 <= v <= 1.0):
            raise ValueError(f"FieldParams.eliminated_max must be None or in [0, 1]; got {v}")


DEFAULT_FIELD = FieldParams(
    spread=0.21,
    leg_sigma=0.076,
    fatigue=0.52,
    dnf_share=0.042,
    dnf_ability=-0.63,
    finish_share=0.78,
    behind_hazard=0.11,
    behind_slope=20.0,
    skew=0.66,
    level_sd=0.036,
    eliminated_max=0.05,
    start_compression=0.25,
    start_time_s=0.80 * 3600,
    chase_share=0.30,
    ahead_hazard=0.0,
    ahead_slope=20.0,
    fastest=0.52,
    source="fit_field medians over GRR, MAS, TDB, MTR 2024 and Templiers 2023/2024; "
    "finish share of a mountain ultra, at most 5 % of starters timed out",
)
"""Default field of a mountain ultra, fitted with :func:`fit_field` on the split
times of ../shared/realdata (Grand Raid Réunion 2024: Diagonale, Mascareignes,
Trail de Bourbon, Métis Trail; Templiers 2023 and 2024: GTT, Endurance,
Intégrale; ``python benchmarks/bench_simulation.py`` prints every fit):

- ``spread`` 0.21 (per race 0.17-0.24), ``leg_sigma`` 0.076 (0.069-0.132),
  ``fatigue`` 0.52 (0.38-1.2), ``skew`` 0.66 (0.31-1.33): medians over the
  ten race-editions (``leg_sigma`` was 0.073 before the thirty-third sprint
  corrected the fit for each leg's own noise in the finish time);
- ``fastest`` 0.52 (0.43-0.55): the winner's finish over the median runner's,
  median over the ten race-editions (thirty-third sprint);
- withdrawals (joint maximum likelihood on the eight race-editions with
  barriers): ``behind_hazard`` 0.11 (0.06-0.30), ``behind_slope`` 20
  (6.5-40), ``dnf_share`` 0.042 (0.03-0.12) and ``dnf_ability`` -0.63
  (-1.15 to -0.14): once runners behind the barriers' pace are accounted
  for, the remaining withdrawals are rare and slightly *more* frequent among
  faster runners;
- ``level_sd`` 0.036: the median finisher's time changed between the 2023 and
  2024 editions by ln ratios 0.025 (GTT), 0.063 (Endurance), 0.056
  (Intégrale); a difference of two editions has :math:`\\sqrt 2` times the
  edition spread, so :math:`\\sigma = \\mathrm{rms}/\\sqrt 2` = 0.036 (0.031-0.042
  leaving one race out). The only races with two editions in the data;
- ``finish_share`` 0.78: finishers / starters are 0.71 (Diagonale des Fous),
  0.81-0.84 (other Réunion races) and 0.83-0.96 at the Templiers; 0.78 is a
  long mountain ultra. It sets the median ability when the simulation is
  asked for a finish share; pass ``finish_share`` for another race. A finish
  share by the race's size (:func:`finish_share_by_effort`) was measured and
  not kept as the default (eighteenth sprint, docs/simulation.md); a race
  smaller than :data:`FIELD_EFFORT_RANGE` is warned about
  (:func:`coursekit.event.simulate_event`).
- ``eliminated_max`` 0.05: the barriers stopped 0.6-4.5 % of the starters in
  the four Réunion races (OUT_OF_TIME: 1.9 % Diagonale, 4.0 % Mascareignes,
  0.6 % Bourbon, 4.5 % Métis) and 0-0.4 % at the Templiers; the others who did
  not finish withdrew. With the finish share alone, a course with few barriers
  puts its non-finishers at them: HAUT 10 (one barrier, at the finish) timed out
  18 % of its field at the finish, 8-12 % were timed out in the Réunion races.
  Capping the eliminated share at 5 % (the largest seen, rounded) fixes the
  short races and leaves the validation on the Réunion races about as it was
  (cells within 10 % 119 -> 123 of 162, barriers in band 25 -> 26 of 47, the
  Mascareignes' worst cell 9.6 -> 10.2 %; simulated finish shares 0.83-0.89
  against 0.71-0.84); a 3 % cap gives 100/162: the data do not support a
  tighter one.
- ``start_compression`` 0.25 and ``start_time_s`` 0.80 h: least squares of the
  cumulative weight of a runner's deviation at each checkpoint (its slope on
  the finish time, :attr:`FieldFit.slopes`, relative to the last checkpoint
  before the finish) against the pace model's, over the ten race-editions
  (``bench_simulation`` prints the fit). The real fields are compressed at the
  start: with the weights of the seventh sprint, at Domaine Vidot (Diagonale,
  1.9 h) the slope was 0.71 of the model's, at Sentier Taïbit (Bourbon, 0.8 h)
  0.62, at the Templiers' first checkpoint (1.1 h) 0.6-0.95; after 3-5 h they
  agree. Leaving one race out: 0.14-0.37 and 0.49-1.05 h. (Refitted in the
  twenty-third sprint on the weights of today's ``TRAIL_2024``; the values of
  the older weights, 0.33 / 0.79 h, had been kept by mistake.)
- ``chase_share`` 0.30: median over the ten race-editions of :func:`fit_field`'s
  chasing share (0.305: GRR 0.45, MAS 0, MTR 0.41, TDB 0.68, Endurance
  0.09/0.34, GTT 0.27/0.44, Intégrale 0/0, no barrier to chase): runners
  projected late at the next barrier ran the next leg with about 0.7 of their
  deviation from the median (cross-race barriers in band 41 -> 43 of 71, no
  history 27 -> 29 of 47, ``--times`` 18 of 24 unchanged; docs/simulation.md).
- ``ahead_hazard`` 0 (off): the hazard on the barrier after next is fitted by
  :func:`fit_field` on a race's split times (the cross-race and ``--times``
  routes use it), but its medians over the ten race-editions (0.039, slope 20,
  with the other hazards refitted jointly: ``behind_hazard`` 0.042, slope 25,
  ``dnf_share`` 0.033) made the no-history route worse on two seeds of three
  (cells within 10 % 129 -> 129, 129 -> 126, 128 -> 126 of 162; barriers in band
  29 -> 30, 30 -> 30, 28 -> 29 of 47), and adding it to these hazards worse still
  (121-126 of 162): without history the field keeps the thirteenth sprint's.
- ``foresight_hazard`` 0 (off): the hazard on the runner's own arrival at the
  barrier after the checkpoint (fifteenth sprint) is kept by :func:`fit_field`
  on one race-edition of ten (Diagonale des Fous, 0.046, slope 74; the others
  fail its likelihood-ratio test): the median is 0.
- ``tail_ease`` 0 (off): fitted by :func:`fit_field` on a race's late legs
  (sixteenth sprint; the cross-race and ``--times`` routes use it): Diagonale
  0.51, Bourbon 0.47, Métis 0.80, Mascareignes 0.04, the six Templiers
  race-editions 0; the median is 0, so the no-history route keeps the
  former field.
"""


FIELD_GRADE = (10.0, 7.0)
"""Grade weights ``(up, down)`` of the simulated field's runner without history [-].

Flat-equivalent metres per metre climbed and descended of the model runner the
field follows (:meth:`coursekit.event.Race.from_plan`), kept when the barriers'
reference moved to its twelfth-round fit (``TRAIL_2024`` up 9, down 5): the
barriers' fit places organisers' barriers, the field's shape was validated with
these weights, and the new ones measured worse for it (``python
benchmarks/bench_simulation.py``, no-history route: 127 of 162 percentile cells
within 10 % and 27 of 47 barriers in band before, 111 and 24 with the barriers'
new weights, 126 and 27 with these; docs/simulation.md).
"""


FIELD_SPEED_LOSS = 0.44
"""Share of his fresh speed a race's median runner has lost by the finish [-].

The simulated field's shape on a course without history
(:meth:`coursekit.event.Race.from_plan`): the pace model's runner with fatigue
rate ``FIELD_SPEED_LOSS / (K / 100)`` on a course of K km-effort. Fitted per
race-edition on the median finisher's passages (:func:`fit_reference_fatigue`,
the rate times K/100): 0.50 (Diagonale des Fous, 276 km-effort), 0.53
(Mascareignes), 0.51 (Métis Trail), 0.45 (Trail de Bourbon), 0.39/0.37 (Grand
Trail des Templiers 2023/2024), 0.45/0.43 (Endurance), 0.37/0.35 (Intégrale);
median 0.44 (0.43-0.45 leaving one out).
The loss barely depends on the race's length (75-276 km-effort), where a rate
per 100 km-effort would vary fivefold (0.18-0.68). The barriers' reference last
finisher loses far less (:data:`coursekit.pace.TRAIL_2024`: 0.10 per 100
km-effort, fitted to the organisers' barriers, which keep margins early).
``python benchmarks/bench_simulation.py`` prints the per-race values. Races under
75 km-effort are an extrapolation (no split times of short races in the data);
there only the shape is affected, the level comes from the finish share.
"""


FIELD_EFFORT_RANGE = (75.0, 276.0)
"""Km-effort of the race-editions :data:`DEFAULT_FIELD` was fitted on [km-effort]: the
Métis Trail (75) to the Diagonale des Fous (276). A smaller race is an extrapolation: its
finish share 0.78 is an ultra's (:func:`finish_share_by_effort` gives 0.95 under 43)."""

FINISH_SHARE_HAZARD = 0.00118
"""Withdrawal hazard per km-effort of :func:`finish_share_by_effort` [1/km-effort].

Least squares of ``ln(finishers / starters)`` on the course's km-effort through the origin
(``-sum(K ln f) / sum(K^2)``) over every race-edition of ../shared/realdata with split
times (``python benchmarks/bench_finish_share.py``): Diagonale 0.709 (276 km-effort),
Bourbon 0.837 (161), Endurance 0.834 / 0.872 (141 / 142), GTT 0.919 / 0.918 (114 / 116),
Mascareignes 0.814 (110), Intégrale 0.922 / 0.956 (88 / 89), Métis 0.809 (75); 0.00113-
0.00121 leaving one out. About 11 % of the starters stop per 100 km-effort."""

FINISH_SHARE_BOUNDS = (0.78, 0.95)
"""Bounds of :func:`finish_share_by_effort` [-]: 0.78, the former default of every race
(a long mountain ultra, reached from 210 km-effort; the Diagonale, UTMB 2013 and Western
States 2013 finished 0.71, 0.68 and 0.72, Hoffman et al. 2014, BJSM 48(7) 618); 0.95 for a
short race (reached under 43 km-effort), the most :data:`DEFAULT_FIELD` can reach: its
withdrawals that no barrier causes (``dnf_share`` 0.042) already stop about 4 % of any
field. No race under 75 km-effort is in the data: the short end is this bound, not a
measurement."""


def finish_share_by_effort(
    km_effort, *, hazard: float = FINISH_SHARE_HAZARD, bounds=FINISH_SHARE_BOUNDS
):
    """Share of starters who finish a race of ``km_effort`` [-], as measured on past races.

    Measured and not kept as the simulation's default (docs/simulation.md, eighteenth
    sprint: on the no-history route it made the Métis Trail's field too fast); quoted by
    the warning for races smaller than :data:`FIELD_EFFORT_RANGE`.

    Parameters
    ----------
    km_effort : float or array_like
        The course's km-effort, distance [km] + climb [m] / 100 [km].
    hazard : float, default :data:`FINISH_SHARE_HAZARD`
        Withdrawal hazard per km-effort [1/km-effort].
    bounds : (float, float), default :data:`FINISH_SHARE_BOUNDS`
        Lowest and highest share returned [-].

    Returns
    -------
    float or ndarray
        :math:`\\min(\\max(e^{-h K}, f_{lo}), f_{hi})`.

    Notes
    -----
    A constant hazard per km-effort (each stretch of effort loses the same share of the
    runners still in the race) fitted on the ten race-editions of ../shared/realdata
    (:data:`FINISH_SHARE_HAZARD`). Leaving one race-edition out, it predicts its finish
    share within 0.048 on average (rms 0.056), where the former constant 0.78 was off by
    0.093 (0.105) and the median of the others by 0.076 (0.085): the race's size
    explains part of it, its organisation the rest (the Réunion races finish 0.71-0.84,
    the Templiers 0.83-0.96 at the same sizes). An 11 km loop with 400 m of climb
    (15 km-effort) gets 0.95, a 50 km trail with 2,500 m (75) 0.91, 100 km with 6,000 m
    (160) 0.83, 170 km with 10,000 m (270) 0.78.
    """
    lo, hi = bounds
    if not (0.0 < lo <= hi < 1.0):
        raise ValueError(f"bounds must satisfy 0 < low <= high < 1; got {bounds}")
    k = np.asarray(km_effort, float)
    if np.any(~np.isfinite(k)) or np.any(k < 0):
        raise ValueError(f"km_effort must be finite and >= 0; got {km_effort}")
    out = np.clip(np.exp(-float(hazard) * k), lo, hi)
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------- simulation


def pace_weights(reference_elapsed, first_arrival_elapsed) -> np.ndarray | None:
    """Fatigue weights per leg from two runners of the same pace model.

    The reference (last finisher) and the leader are two runners of the pace
    model (:func:`coursekit.cutoffs.solve`); a runner of log multiplier
    :math:`\\theta` on the reference is interpolated geometrically leg by leg,
    :math:`w_k = \\ln(t^{lead}_k / r_k) / \\ln(T^{lead} / T^{ref})`, so that
    :math:`\\theta = \\ln(T^{lead} / T^{ref})` gives the leader's leg times exactly.

    Parameters
    ----------
    reference_elapsed, first_arrival_elapsed : array_like, shape (rows,)
        Arrivals of the reference runner and of the leader [s from start].

    Returns
    -------
    ndarray, shape (rows - 1,), or None
        Weights of legs 1..rows-1; None when they are not defined (equal
        finish times, a leg of zero or negative time, a weight <= 0).
    """
    ref = np.asarray(reference_elapsed, float).reshape(-1)
    lead = np.asarray(first_arrival_elapsed, float).reshape(-1)
    if ref.shape != lead.shape or ref.size < 2:
        raise ValueError("reference and leader arrivals must have the same length (>= 2 rows)")
    with np.errstate(divide="ignore", invalid="ignore"):
        rl, ll = np.diff(ref), np.diff(lead)
        denom = math.log(lead[-1] / ref[-1]) if lead[-1] > 0 and ref[-1] > 0 else 0.0
        if abs(denom) > 1e-3 and np.all(rl > 0) and np.all(ll > 0):
            w = np.log(ll / rl) / denom
            if np.all(np.isfinite(w)) and np.all(w > 0):
                return w
    return None


def fatigue_weights(reference_leg_s, leg_effort, *, fatigue: float) -> np.ndarray:
    """Per-leg fatigue weights :math:`w_k = 1 + \\beta (c_k - \\bar c)` (see :class:`FieldParams`).

    Parameters
    ----------
    reference_leg_s : array_like, shape (n,)
        Reference leg times, first entry the start row (0) [s].
    leg_effort : array_like, shape (n,)
        Km-effort per leg, first entry 0 [km].
    fatigue : float
        :math:`\\beta` [-].

    Returns
    -------
    ndarray, shape (n - 1,)
        Weights of legs 1..n-1, time-weighted mean 1, clipped at 0.05.
    """
    r = np.asarray(reference_leg_s, float)[1:]
    e = np.asarray(leg_effort, float)[1:]
    tot = e.sum()
    if tot <= 0:
        e = np.ones_like(r)
        tot = e.sum()
    c_end = np.cumsum(e) / tot
    c_mid = c_end - e / (2 * tot)
    rs = r.sum()
    cbar = float(np.sum(r * c_mid) / rs) if rs > 0 else 0.5
    return np.maximum(1.0 + fatigue * (c_mid - cbar), 0.05)


def _dnf_rate(dnf_share: float, kappa: float) -> float:
    """λ·C_total such that E_z[1 - exp(-Λ e^{κ z})] = dnf_share (Gauss-Hermite)."""
    if dnf_share <= 0:
        return 0.0
    x, wts = np.polynomial.hermite_e.hermegauss(60)
    wts = wts / wts.sum()
    m = np.exp(kappa * x)

    def share(lam):
        return float(np.sum(wts * (1 - np.exp(-lam * m))))

    lo, hi = 0.0, 1.0
    while share(hi) < dnf_share:
        hi *= 2
        if hi > 1e6:
            raise ValueError(f"dnf_share {dnf_share} cannot be reached")
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if share(mid) < dnf_share else (lo, mid)
    return 0.5 * (lo + hi)


def _ability(z, spread: float, skew: float, fastest: float = 0.0):
    """:math:`g(z) = \\ln(1 + \\lambda s z) / \\lambda` (``s z`` when :math:`\\lambda = 0`).

    The argument of the logarithm is floored at 0.05 (times at most 20x
    shorter or longer than the median's, reached only far in the tails), and
    :math:`g` at :math:`\\ln(\\mathrm{fastest})` when ``fastest`` > 0
    (:attr:`FieldParams.fastest`).
    """
    if abs(skew) < 1e-12:
        g = spread * z
    else:
        g = np.log1p(np.maximum((skew * spread) * z, -0.95)) / skew
    if fastest > 0:
        g = np.maximum(g, math.log(fastest))
    return g


def start_weights(reference_leg_s, leg_weights, mu: float, params: FieldParams) -> np.ndarray:
    """Weights of a runner's deviation from the median runner per leg (see :class:`FieldParams`).

    :math:`w_k h_k`, :math:`h_k = 1 - a \\exp(-\\tau_k / \\tau_0)`, with
    :math:`\\tau_k` the median runner's elapsed time at the middle of leg ``k``
    (his legs are :math:`r_k \\exp(\\mu w_k)`).

    Parameters
    ----------
    reference_leg_s : array_like, shape (n,)
        Reference leg times of legs 1..n [s] (no start row).
    leg_weights : array_like, shape (n,)
        :math:`w_k`.
    mu : float
        Log multiplier of the median runner's times on the reference's.
    params : FieldParams
        ``start_compression`` (:math:`a`) and ``start_time_s`` (:math:`\\tau_0`).

    Returns
    -------
    ndarray, shape (n,)
    """
    w = np.asarray(leg_weights, float)
    a = float(params.start_compression)
    if a <= 0:
        return w.copy()
    legs = np.asarray(reference_leg_s, float) * np.exp(mu * w)
    mid = np.cumsum(legs) - legs / 2
    return w * (1.0 - a * np.exp(-mid / float(params.start_time_s)))


def _slow_weights(weights, leg_effort, ease: float) -> np.ndarray:
    """A slower-than-median runner's deviation weights: :math:`w_k h_k (1 - e c_k)`,
    :math:`c_k` the effort fraction at the middle of leg ``k`` (``leg_effort`` of legs
    1..n; :class:`FieldParams` ``tail_ease`` :math:`e`)."""
    w = np.asarray(weights, float)
    e = np.asarray(leg_effort, float)
    tot = float(e.sum())
    if tot <= 0:
        e, tot = np.ones_like(w), float(w.size)
    c_mid = (np.cumsum(e) - e / 2) / tot
    return w * (1.0 - float(ease) * c_mid)


def _behind_coef(reference_elapsed, limit_eff, nth: int = 1) -> np.ndarray:
    """Per arrival row 1..L: :math:`R_b / (R_k T_b)` for the next barrier ``b > k``, else 0.

    ``reference_elapsed`` has the start row (rows values), ``limit_eff`` the
    barriers of rows 1..L (inf where none). The finish row gets 0 (nobody
    withdraws at the finish). ``nth`` = 2: the barrier after next (0 where
    there is none).
    """
    R = np.asarray(reference_elapsed, float)
    lim = np.asarray(limit_eff, float)
    L = lim.size
    coef = np.zeros(L)
    ahead = []  # the next barriers (time, leg index), nearest last
    for k in range(L - 1, -1, -1):  # k = leg index, arrival row k + 1
        if k < L - 1 and len(ahead) >= nth and R[k + 1] > 0:
            nxt, nxt_row = ahead[-nth]
            coef[k] = R[nxt_row + 1] / (R[k + 1] * nxt)
        if math.isfinite(lim[k]) and lim[k] > 0:
            ahead.append((float(lim[k]), k))
    return coef


def _next_barrier(limit_eff):
    """Per arrival row 1..L: (leg index of the next row, :math:`1 / T_{k+1}` where that row
    has a barrier, else 0): the foresight term of :class:`FieldParams`, at the last
    checkpoint before each barrier (``limit_eff`` the barriers of rows 1..L, inf where none).
    """
    lim = np.asarray(limit_eff, float)
    L = lim.size
    src = np.minimum(np.arange(L) + 1, L - 1)
    coef = np.zeros(L)
    for k in range(L - 1):
        if math.isfinite(lim[k + 1]) and lim[k + 1] > 0:
            coef[k] = 1.0 / float(lim[k + 1])
    return src, coef


def _chase_arrivals_2d(x, dev, r, late_at, chase: float):
    """Arrivals (runners, legs) [s] with barrier chasing (see :class:`FieldParams`).

    ``x`` the log leg multipliers without the deviation term, ``dev`` the
    deviation term :math:`(\\theta_i - \\mu) w_k h_k` (runners, legs), ``r`` the
    reference legs [s], ``late_at[k]`` the arrival after leg ``k`` above which
    leg ``k + 1`` is chased (inf: no next barrier), ``chase`` :math:`c`.
    """
    m, L = x.shape
    t = np.empty((m, L))
    prev = np.zeros(m)
    for k in range(L):
        d = dev[:, k]
        if k and math.isfinite(late_at[k - 1]):
            d = np.where((prev > late_at[k - 1]) & (d > 0), (1.0 - chase) * d, d)
        prev = prev + r[k] * np.exp(x[:, k] + d)
        t[:, k] = prev
    return t


def _last_seen(leg, L: int):
    """Withdrawal legs as the checkpoint where the runner is last seen: a withdrawal on the
    final leg (``L - 1``, which would book it at the finish) goes to the checkpoint before
    the finish (``L - 2``; -1, the start, when there is none). Nobody withdraws at the finish
    line: in split times such a runner's last passage is that checkpoint, which is how
    :func:`fit_field` counts withdrawals (trials at the checkpoints before the finish).
    """
    leg = np.asarray(leg)
    return np.where(leg == L - 1, L - 2, leg)


def _withdraw_leg(arrival, coef, base, x, cfrac, h0, gamma, q_min, ahead=None, fore=None):
    """First leg whose checkpoint ends the runner's race by withdrawal (L: none).

    ``arrival`` (L, runners) [s], legs first; cumulative hazard per runner
    ``base * cfrac`` plus the behind-the-barrier hazard ``h0 q^gamma`` summed
    over the checkpoints (terms with ``q <= q_min`` are negligible and
    skipped); ``ahead`` = ``(coef2, h2, gamma2, q2_min)`` adds the same term
    on the barrier after next (:class:`FieldParams` ``ahead_hazard``);
    ``fore`` = ``(src, coef3, h3, gamma3, q3_min)`` the term on the runner's own
    arrival at the next barrier, row ``src[k]`` of ``arrival`` (``foresight_hazard``);
    the runner withdraws where it first reaches ``x`` (an Exp(1) draw). A loop
    over legs of vector operations (faster than 2-D passes).
    """
    L, m = arrival.shape
    base = np.asarray(base, np.float32)
    x = np.asarray(x, np.float32)
    H = np.zeros(m, np.float32)
    out = np.full(m, L, dtype=np.int64)
    prev = 0.0
    terms = [(coef, h0, gamma, q_min)] if h0 > 0 else []
    if ahead is not None and ahead[1] > 0:
        terms.append(ahead)
    terms = [
        (c, np.float32(math.log(h)), np.float32(g), np.float32(qm), None) for c, h, g, qm in terms
    ]
    if fore is not None and fore[2] > 0:
        src, c, h, g, qm = fore
        terms.append((c, np.float32(math.log(h)), np.float32(g), np.float32(qm), src))
    for k in range(L):
        H += base * np.float32(cfrac[k] - prev)
        prev = cfrac[k]
        for c, lh0, g, qm, src in terms:
            if c[k] > 0:
                row = k if src is None else src[k]
                q = np.asarray(arrival[row], np.float32) * np.float32(c[k])
                near = q > qm
                np.maximum(q, qm, out=q)
                np.log(q, out=q)
                q *= g
                q += lh0
                np.minimum(q, np.float32(80.0), out=q)  # exp(80) ~ 5e34: certain withdrawal,
                np.exp(q, out=q)  # no float32 overflow for steep slopes
                q *= near
                H += q
        hit = (H >= x) & (out == L)
        out[hit] = k
    return out


PEAK_WINDOW_S = 3600.0
"""Width of the window of the arrival peaks [s]: the busiest 60 minutes, wherever they
start (a bunch straddling a clock hour is not split between two hours)."""


def minute_window_peak(per_minute, width_min: int = int(PEAK_WINDOW_S // 60)) -> np.ndarray:
    """Most arrivals within any ``width_min`` consecutive minutes (a sliding window).

    Parameters
    ----------
    per_minute : ndarray, shape (..., minutes)
        Arrivals counted per minute bin.
    width_min : int, default 60
        The window, in minute bins.

    Returns
    -------
    ndarray, shape (...)
        The largest window sum. Windows start on whole minutes: a window starting between
        two minute marks may hold a few more arrivals (those of its first and last partial
        minutes), so this is the busiest 60 minutes to the minute.
    """
    a = np.asarray(per_minute)
    cs = np.cumsum(a, axis=-1)
    zero = np.zeros(a.shape[:-1] + (1,), dtype=cs.dtype)
    cs = np.concatenate([zero, cs], axis=-1)
    w = min(int(width_min), a.shape[-1])
    return (cs[..., w:] - cs[..., :-w]).max(axis=-1)


def _nan_band(v, lo: float, hi: float):
    """(median, lo-th, hi-th percentile) over repetitions of a (repetitions, rows) array,
    ignoring NaN (a row no runner reached in a repetition); NaN where none reached it."""
    import warnings

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return (
            np.nanmedian(v, axis=0),
            np.nanpercentile(v, lo, axis=0),
            np.nanpercentile(v, hi, axis=0),
        )


@dataclass(frozen=True, eq=False)
class FieldSimulation:
    """Result of :func:`simulate_field` (rows = checkpoints, start first).

    Attributes
    ----------
    n_runners, repetitions : int
    seed : int or None
    ability_mean : float
        :math:`\\mu` used (log time multiplier of the median runner on the reference).
    params : FieldParams
    finishers : ndarray, shape (repetitions,)
    eliminated : ndarray, shape (repetitions, rows)
        Runners stopped by the barrier of each row, or at a row they reached
        after the race's limit (:func:`simulate_field`, Notes).
    withdrawn : ndarray, shape (repetitions, rows)
        Runners withdrawing at each row (DNF hazard).
    reached : ndarray, shape (repetitions, rows)
        Runners arriving at each row (each counted once per passage).
    first_arrival, last_arrival : ndarray, shape (repetitions, rows)
        Earliest and latest arrival [s from start] (NaN when nobody arrives);
        at the race's limit at the latest (a runner stopped after it is
        recorded at it).
    quantile_levels : ndarray
    arrival_quantiles : ndarray, shape (levels, rows)
        Arrival percentiles among runners reaching the row [s from start],
        from the first repetitions (up to 100,000 runner passages per row).
    hour_offset_s : float
        Occupancy bin ``b`` is ``[b, b + 1)`` hours after the clock origin
        ``start - hour_offset_s``.
    occupancy : ndarray, shape (rows, hours)
        Mean number of runners arriving at each row in each hour bin (clock hours).
    occupancy_peak : ndarray, shape (repetitions, rows)
        Largest clock-hour count of each repetition (a bunch straddling the hour is
        split: see ``occupancy_peak_60min``).
    minute_occupancy : ndarray, shape (rows, minutes)
        Mean number of runners arriving at each row in each minute bin: bin ``m`` is
        ``[m, m + 1)`` minutes after the clock origin (that of ``occupancy``). The start
        row counts the starters in the start's minute, as ``occupancy`` does.
    occupancy_peak_60min : ndarray, shape (repetitions, rows)
        Most runners arriving at each row within any 60 minutes (a sliding window on the
        minute bins, :func:`minute_window_peak`) in each repetition; the start row counts
        the starters.
    present : ndarray, shape (rows, hours)
        Mean number of runners present at each row in each hour bin (clock hours, the
        bins of ``occupancy``; more bins when a stop runs past the last arrival's hour):
        a runner reaching the row, those stopped there included, is present over
        ``[t, t + dwell]`` (arrival ``t``, the row's planned stop ``dwell``), so in every
        hour that interval meets, ``[b, b + 1)``; with no dwell, at his arrival instant
        only, so a row without a dwell has ``present`` equal to ``occupancy`` (the start
        row counts the starters over its own ``dwell``, 0: the start's hour).
    present_peak : ndarray, shape (repetitions, rows)
        Largest clock-hour ``present`` count of each repetition (``occupancy_peak`` on
        rows without a dwell).
    capped : bool
        The level was solved and ``params.eliminated_max`` bound: at the finish share the
        barriers would stop more, so the field was made faster (``ability_mean`` is below
        the finish share's own level).
    """

    n_runners: int
    repetitions: int
    seed: int | None
    ability_mean: float
    params: FieldParams
    finishers: np.ndarray
    eliminated: np.ndarray
    withdrawn: np.ndarray
    reached: np.ndarray
    first_arrival: np.ndarray
    last_arrival: np.ndarray
    quantile_levels: np.ndarray
    arrival_quantiles: np.ndarray
    hour_offset_s: float
    occupancy: np.ndarray
    occupancy_peak: np.ndarray
    minute_occupancy: np.ndarray
    occupancy_peak_60min: np.ndarray
    present: np.ndarray
    present_peak: np.ndarray
    capped: bool = False

    @property
    def finish_share(self) -> float:
        return float(self.finishers.mean() / self.n_runners)

    def band(self, values: np.ndarray, lo: float = 5.0, hi: float = 95.0):
        """(mean, low, high) over repetitions of a (repetitions, ...) array."""
        v = np.asarray(values, float)
        return v.mean(axis=0), np.percentile(v, lo, axis=0), np.percentile(v, hi, axis=0)

    def last_arrival_band(self, lo: float = 5.0, hi: float = 95.0):
        """Last runner's arrival per row: (median, low, high) over repetitions [s]."""
        return _nan_band(self.last_arrival, lo, hi)

    def first_arrival_band(self, lo: float = 5.0, hi: float = 95.0):
        """First runner's arrival per row: (median, low, high) over repetitions [s]."""
        return _nan_band(self.first_arrival, lo, hi)


def _float32_down(x) -> np.ndarray:
    """``x`` in float32, rounded down (the largest float32 at most ``x``; inf stays)."""
    x = np.asarray(x, np.float64)
    y = x.astype(np.float32)
    return np.where(y > x, np.nextafter(y, np.float32(-np.inf)), y)


def _as_rows(x, n, what, fill=math.nan):
    if x is None:
        return np.full(n, fill)
    a = np.asarray(x, float).reshape(-1)
    if a.shape != (n,):
        raise ValueError(f"{what} must have {n} values (one per row); got {a.size}")
    return a


def simulate_field(
    reference_leg_s,
    *,
    leg_effort,
    cutoff_elapsed=None,
    dwell=None,
    leg_weights=None,
    n_runners: int = 1000,
    repetitions: int = 100,
    params: FieldParams = DEFAULT_FIELD,
    finish_share: float | None = None,
    ability_mean: float | None = None,
    hour_offset_s: float = 0.0,
    seed: int | np.random.Generator | None = None,
    chunk_elements: int = 6_000_000,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    progress: Callable[[int], None] | None = None,
) -> FieldSimulation:
    """Simulate ``repetitions`` fields of ``n_runners`` runners on one race.

    Parameters
    ----------
    reference_leg_s : array_like, shape (rows,)
        Leg times of the reference runner, 0 at the start row [s]
        (e.g. ``np.diff(plan.arrival_elapsed, prepend=0)``).
    leg_effort : array_like, shape (rows,)
        Km-effort per leg, 0 at the start row [km]: the DNF hazard is
        proportional to it.
    cutoff_elapsed : array_like, shape (rows,), optional
        Departure deadlines [s from start]; NaN where there is none. A runner
        whose arrival plus ``dwell`` is after it is eliminated there. The
        finish row's is the race's limit, which closes every row (Notes).
    dwell : array_like, shape (rows,), optional
        Planned stop per row [s] (0).
    leg_weights : array_like, shape (rows - 1,), optional
        Fatigue weights per leg; default :func:`fatigue_weights` with
        ``params.fatigue``.
    n_runners, repetitions : int
    params : FieldParams
    finish_share : float, optional
        Share of starters who must finish; :math:`\\mu` is solved so that the
        expected share (withdrawals + barriers) equals it. Needs barriers.
        Default ``params.finish_share`` when ``ability_mean`` is None.
    ability_mean : float, optional
        :math:`\\mu` given directly (log multiplier of the median runner's
        times on the reference runner's); then ``finish_share`` is not used.
    hour_offset_s : float, default 0
        Offset of the race start from the occupancy clock origin [s].
    seed : int or numpy Generator, optional
        Same seed, same result.
    chunk_elements : int, default 6,000,000
        Repetitions are processed in chunks of about this many
        runner x checkpoint values (memory bound: ~30 bytes each).
    quantiles : sequence of float, default (0.1, 0.5, 0.9)
    progress : callable, optional
        Called with the number of repetitions done after each chunk.

    Returns
    -------
    FieldSimulation

    Notes
    -----
    The model is that of :class:`FieldParams`. Runners start together (start
    waves are not modelled); a runner withdraws or is eliminated at a
    checkpoint (counted as arriving there) and goes no further.

    The race's limit (``cutoff_elapsed[-1]``, when finite) closes the race at
    every row, not only at the finish: the sweep pulls every runner still out
    when it passes. A runner whose arrival at a row is after the limit is
    stopped at that row, the one ending the leg he is on when the limit
    passes, and counted there as eliminated, like a runner a barrier stops.
    The test is on the arrival alone, on the barriers' clock (elapsed from
    the start): unlike a barrier's departure deadline, the row's planned stop
    is not added (the limit closes the race; it is no departure deadline at
    a station), except at the finish, whose barrier is the limit itself. His
    passage there is recorded at the limit (``last_arrival``,
    ``arrival_quantiles``, the arrivals and runners present per hour, the
    limit's minute and clock hour), so no row receives a runner after the
    limit. A runner over the limit at an intermediate row is over it at the
    finish too, so at a given ``ability_mean`` the finishers are the same as
    with the limit at the finish alone; a runner who withdrew after the limit
    is now eliminated where the limit caught him (and counts so against
    ``params.eliminated_max`` when the level is solved). Barriers earlier than
    the limit, the withdrawal hazards and barrier chasing are unchanged (they
    look at the barriers only).
    """
    r = np.asarray(reference_leg_s, float).reshape(-1)
    rows = r.size
    if rows < 2:
        raise ValueError("reference_leg_s needs at least a start and a finish row")
    if not np.all(np.isfinite(r[1:])) or np.any(r[1:] <= 0):
        raise ValueError("reference leg times must be finite and > 0 after the start row")
    eff = _as_rows(leg_effort, rows, "leg_effort")
    if not np.all(np.isfinite(eff)) or np.any(eff < 0):
        raise ValueError("leg_effort must be finite and >= 0")
    cut = _as_rows(cutoff_elapsed, rows, "cutoff_elapsed")
    dw = _as_rows(dwell, rows, "dwell", fill=0.0)
    n_runners, repetitions = int(n_runners), int(repetitions)
    if n_runners < 1 or repetitions < 1:
        raise ValueError(f"n_runners and repetitions must be >= 1; got {n_runners}, {repetitions}")
    L = rows - 1
    w = (
        fatigue_weights(r, eff, fatigue=params.fatigue)
        if leg_weights is None
        else np.asarray(leg_weights, float).reshape(-1)
    )
    if w.shape != (L,):
        raise ValueError(f"leg_weights must have {L} values (one per leg)")
    limit_eff = cut[1:] - dw[1:]
    limit_eff = np.where(np.isfinite(limit_eff), limit_eff, np.inf)
    has_barrier = bool(np.any(np.isfinite(limit_eff)))
    # the race's limit (the finish row's barrier) closes every row: a runner arriving after
    # it is stopped at that row, his passage there recorded at the limit (the sweep pulls
    # him on the leg into it). The barriers and withdrawal hazards keep ``limit_eff``.
    limit = float(cut[-1])
    closes = math.isfinite(limit)
    stop_eff = np.minimum(limit_eff, limit) if closes else limit_eff
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    seed_value = None if isinstance(seed, np.random.Generator) else seed

    # DNF: cumulative hazard H_ik = Λ e^{κ z_i} C_k / C_L; one Exp(1) draw per runner.
    ceff = np.cumsum(eff[1:])
    ctot = float(ceff[-1]) if ceff[-1] > 0 else 1.0
    lam = _dnf_rate(params.dnf_share, params.dnf_ability)
    cfrac = ceff / ctot
    # withdrawal of runners behind the next barrier's pace (see FieldParams)
    h0, gamma = float(params.behind_hazard), float(params.behind_slope)
    coef = _behind_coef(np.cumsum(r), limit_eff) if h0 > 0 else np.zeros(L)
    behind = bool(np.any(coef > 0))
    # below q_min a checkpoint adds < 1e-4 to the hazard: skipped
    q_min = (1e-4 / h0) ** (1.0 / gamma) if behind and gamma > 0 else 0.0
    thr = np.where(coef > 0, q_min / np.where(coef > 0, coef, 1.0), np.inf).astype(np.float32)
    # the same on the barrier after next (ahead_hazard, see FieldParams)
    h2, gamma2 = float(params.ahead_hazard), float(params.ahead_slope)
    coef2 = _behind_coef(np.cumsum(r), limit_eff, nth=2) if h2 > 0 else np.zeros(L)
    ahead = None
    if np.any(coef2 > 0):
        q2_min = (1e-4 / h2) ** (1.0 / gamma2) if gamma2 > 0 else 0.0
        ahead = (coef2, h2, gamma2, q2_min)
        thr2 = np.where(coef2 > 0, q2_min / np.where(coef2 > 0, coef2, 1.0), np.inf)
        thr = np.minimum(thr, thr2.astype(np.float32))
        behind = True
    # the runner's own arrival at the next barrier (foresight_hazard, see FieldParams)
    h3, gamma3 = float(params.foresight_hazard), float(params.foresight_slope)
    fore = None
    if h3 > 0:
        # T_b is the published barrier, not limit_eff (barrier - dwell): fit_field fits
        # the term on past arrivals over the published barrier (no dwell in split times)
        cut_b = np.where(np.isfinite(cut[1:]), cut[1:], np.inf)
        src3, coef3 = _next_barrier(cut_b)
        if np.any(coef3 > 0):
            q3_min = (1e-4 / h3) ** (1.0 / gamma3) if gamma3 > 0 else 0.0
            fore = (src3, coef3, h3, gamma3, q3_min)
            # a runner near: his arrival at some next barrier above q3_min of its time
            for b in np.unique(src3[coef3 > 0]):
                thr[b] = min(thr[b], np.float32(q3_min * cut_b[b]))
            behind = True
    ease = float(params.tail_ease)  # slower runners' late deviation (see FieldParams)
    # barrier chasing: leg k + 1 of a runner with q > 1 at arrival row k + 1 (see FieldParams)
    chase = float(params.chase_share)
    coef_c = _behind_coef(np.cumsum(r), limit_eff) if chase > 0 else np.zeros(L)
    chasing = bool(np.any(coef_c[:-1] > 0))
    # arrival after leg k above which the runner chases on leg k + 1 (inf: no next barrier)
    late_at = np.where(coef_c > 0, 1.0 / np.where(coef_c > 0, coef_c, 1.0), np.inf)

    # place mu: solve the finish share on a calibration sample (common random numbers)
    if ability_mean is None:
        share = params.finish_share if finish_share is None else float(finish_share)
        if not (0.0 < share < 1.0):
            raise ValueError(f"finish_share must be in (0, 1); got {share}")
        if not has_barrier:
            raise ValueError(
                "finish_share needs barriers (cutoff_elapsed): without them only "
                "withdrawals stop runners; give ability_mean instead"
            )
        cal = np.random.default_rng(rng.integers(2**63))
        m = 20_000
        zc = cal.standard_normal(m)
        xc = cal.standard_exponential(m)
        dnf_c = lam * np.exp(params.dnf_ability * zc) > xc if lam > 0 else np.zeros(m, bool)
        survive = 1.0 - float(dnf_c.mean())
        if share >= survive:
            raise OptionError(
                f"finish_share {share:.3f} is not reachable: withdrawals alone stop "
                f"{1 - survive:.3f} of the field (dnf_share {params.dnf_share}); lower one of them"
            )
        nc = params.leg_sigma * cal.standard_normal((m, L))
        dnf_row_c = _last_seen(
            np.where(
                dnf_c,
                np.searchsorted(cfrac, xc / (lam * np.exp(params.dnf_ability * zc) + 1e-300)),
                L,
            ),
            L,
        )
        base_c = lam * np.exp(params.dnf_ability * zc)

        level_c = params.level_sd * cal.standard_normal(m)

        dev_c = _ability(zc, params.spread, params.skew, params.fastest)[:, None]

        def counts(mu, wd, ws, p):
            """(finishers, eliminated by a barrier) among the runners of part ``p``."""
            sl = slice(p * _CAL_PART, (p + 1) * _CAL_PART)
            x = (mu + level_c[sl])[:, None] * w[None, :]
            dev = dev_c[sl]
            dv = dev * wd[None, :]
            if ease > 0:  # slower than the median: his late deviation eased (tail_ease)
                dv = np.where(dev > 0, dev * ws[None, :], dv)
            if chasing:
                t = _chase_arrivals_2d(x + nc[sl], dv, r[1:], late_at, chase)
            else:
                t = np.cumsum(r[None, 1:] * np.exp(x + dv + nc[sl]), axis=1)
            over = t > stop_eff[None, :]
            first_over = np.where(over.any(axis=1), over.argmax(axis=1), L)
            if behind:
                stop = _last_seen(
                    _withdraw_leg(
                        t.T, coef, base_c[sl], xc[sl], cfrac, h0, gamma, q_min, ahead, fore
                    ),
                    L,
                )
            else:
                stop = dnf_row_c[sl]
            return int(np.count_nonzero((first_over >= L) & (stop >= L))), int(
                np.count_nonzero((first_over < L) & (first_over <= stop))
            )

        # the sample in parts of fixed size, evaluated on threads: the same counts on any
        # number of threads (each runner's race is computed alone)
        n_parts = -(-m // _CAL_PART)
        cal_pool = _pool(min(n_parts, _threads()))

        def shares(mu):
            """(finish share, share eliminated by a barrier) at ``mu``."""
            wd = start_weights(r[1:], w, mu, params)
            ws = _slow_weights(wd, eff[1:], ease) if ease > 0 else None
            parts = range(n_parts)
            if cal_pool is None:
                got = [counts(mu, wd, ws, p) for p in parts]
            else:
                got = list(cal_pool.map(lambda p: counts(mu, wd, ws, p), parts))
            return sum(g[0] for g in got) / m, sum(g[1] for g in got) / m

        def largest(ok, lo, hi):
            """The largest mu in [lo, hi] with ok(mu) (true below it), to 6 / 2**24."""
            for _ in range(24):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if ok(mid) else (lo, mid)
            return lo

        try:
            if shares(-3.0)[0] < share:
                raise OptionError(f"finish_share {share} not reachable even with very fast runners")
            mu = largest(lambda m: shares(m)[0] >= share, -3.0, 3.0)
            cap = params.eliminated_max if finish_share is None else None
            capped = cap is not None and shares(mu)[1] > cap
            if capped:  # a faster field: see eliminated_max
                mu = largest(lambda m: shares(m)[1] <= cap, -3.0, mu)
        finally:
            if cal_pool is not None:
                cal_pool.shutdown()
        if finish_share is not None:  # the parameters reported are the ones used
            params = replace(
                params,
                finish_share=share,
                eliminated_max=None,
                # the default's own finish-share clause no longer applies
                source=f"{params.source.split('; finish share')[0]}; finish share {share:g} "
                "as asked, no cap on the barriers' eliminations",
            )
    else:
        mu = float(ability_mean)
        capped = False

    # main loop: chunks of repetitions, each with its own random stream (seeded in
    # order from ``rng``), run on threads (numpy releases the GIL in the heavy parts)
    per_rep = n_runners * L
    chunk = max(1, min(repetitions, int(chunk_elements) // max(per_rep, 1)))
    sizes = [min(chunk, repetitions - i) for i in range(0, repetitions, chunk)]
    seeds = rng.integers(2**63, size=len(sizes))
    qlev = np.asarray(quantiles, float)
    q_reps = max(1, min(repetitions, 100_000 // n_runners))
    r32 = r[1:].astype(np.float32)
    w32 = w.astype(np.float32)
    wd = start_weights(r[1:], w, mu, params)
    wd32 = wd.astype(np.float32)
    ws32 = _slow_weights(wd, eff[1:], ease).astype(np.float32)
    # the barriers in float32, as the arrivals are, rounded down: rounded to the nearest,
    # a runner after a barrier by less than half a float32 step passed it (h128); the
    # limit too, so a passage recorded at it is at it at the latest
    lim = _float32_down(stop_eff)
    limit32 = _float32_down(limit)[()] if closes else None
    late32 = late_at.astype(np.float32)
    legidx = np.arange(L, dtype=np.int32)
    # planned stops: a runner is present at a row from his arrival to arrival + dwell
    # (FieldSimulation.present); the legs whose arrival row has one
    dw_occ = np.where(np.isfinite(dw) & (dw > 0), dw, 0.0)
    stay = np.flatnonzero(dw_occ[1:] > 0)
    staying = bool(stay.size) or dw_occ[0] > 0
    step = max(1, _PRESENT_VALUES // n_runners)  # repetitions per pass of one leg's stops

    def run(c, s, want_q):
        g = np.random.default_rng(s)
        z = g.standard_normal((c, n_runners), dtype=np.float32)
        dev = _ability(z, params.spread, params.skew, params.fastest).astype(np.float32)
        level = np.full((c, 1), mu, np.float32)
        if params.level_sd > 0:  # this repetition's edition: one shift for the field
            level += (params.level_sd * g.standard_normal(c)).astype(np.float32)[:, None]
        # layout (repetition, leg, runner): leg slices contiguous, cumsum adds rows
        t = g.standard_normal((c, L, n_runners), dtype=np.float32)
        t *= np.float32(params.leg_sigma)
        if chasing:  # leg by leg: a leg's time depends on the arrival so far
            slow = dev > 0
            keep = np.float32(1.0 - chase)
            for k in range(L):
                tk = t[:, k, :]
                dv = dev * (np.where(slow, ws32[k], wd32[k]) if ease > 0 else wd32[k])
                if k and math.isfinite(late_at[k - 1]):
                    prev = t[:, k - 1, :]
                    dv[(prev > late32[k - 1]) & slow] *= keep
                tk += dv
                tk += level * w32[k]
                np.exp(tk, out=tk)
                tk *= r32[k]
                if k:
                    tk += t[:, k - 1, :]
        else:
            if ease > 0:
                dev_lo, dev_hi = np.minimum(dev, 0), np.maximum(dev, 0)
            for k in range(L):
                if ease > 0:  # slower than the median: late deviation eased (tail_ease)
                    t[:, k, :] += dev_lo * wd32[k]
                    t[:, k, :] += dev_hi * ws32[k]
                else:
                    t[:, k, :] += dev * wd32[k]
                t[:, k, :] += level * w32[k]  # (c, 1): no runner-sized temporary
            np.exp(t, out=t)
            t *= r32[:, None]
            np.cumsum(t, axis=1, out=t)  # arrival at rows 1..L [s]
        # stop leg: first barrier exceeded, or DNF
        over = t > lim[:, None]
        first_over = np.where(over.any(axis=1), over.argmax(axis=1), L)
        del over
        if lam > 0 or behind:
            x = g.standard_exponential((c, n_runners), dtype=np.float32)
        if lam > 0:
            hz = lam * np.exp(params.dnf_ability * z.astype(np.float64))
            dnf_row = np.minimum(np.searchsorted(cfrac, x / hz), L)  # hazard reaches x
        else:
            hz = np.zeros((c, n_runners))
            dnf_row = np.full((c, n_runners), L)
        if behind:  # runners near a barrier's pace at some checkpoint: full hazard
            near = t > thr[:, None]
            ri, ni = np.nonzero(near.any(axis=1))
            del near
            if ri.size:
                sub = np.empty((L, ri.size), np.float32)
                for k in range(L):
                    sub[k] = t[ri, k, ni]
                dnf_row[ri, ni] = _withdraw_leg(
                    sub, coef, hz[ri, ni], x[ri, ni], cfrac, h0, gamma, q_min, ahead, fore
                )
        dnf_row = _last_seen(dnf_row, L)
        elim = first_over <= dnf_row
        if closes:  # stopped after the limit: his passage there at the limit (the rows before
            # his stop are on time, those after it not reached)
            ri, ni = np.nonzero(elim & (first_over < L))
            ki = first_over[ri, ni]
            t[ri, ki, ni] = np.minimum(t[ri, ki, ni], limit32)
        stop = np.minimum(first_over, dnf_row)
        rep_off = (np.arange(c) * rows)[:, None]
        e_idx = (rep_off + first_over + 1)[elim & (first_over < L)]
        out = {"eliminated": np.bincount(e_idx, minlength=c * rows).reshape(c, rows)}
        d_idx = (rep_off + dnf_row + 1)[~elim & (dnf_row < L)]
        out["withdrawn"] = np.bincount(d_idx, minlength=c * rows).reshape(c, rows)
        out["finishers"] = np.sum(stop >= L, axis=1)
        mask = legidx[:, None] <= stop[:, None, :]  # runner reaches row k+1
        out["reached"] = mask.sum(axis=2)
        # the rows a runner does not reach are NaN from here on (every use below masks
        # them): the first and last arrivals are NaN-ignoring reductions, no temporary
        np.copyto(t, np.float32(np.nan), where=~mask)
        mn = np.fmin.reduce(t, axis=2)
        out["first"] = np.where(np.isfinite(mn), mn, np.nan)
        mx = np.fmax.reduce(t, axis=2)
        out["last"] = np.where(np.isfinite(mx), mx, np.nan)
        # arrivals per minute and repetition, in one pass (runners not arriving go to a
        # dump bin): the clock hours sum them, the busiest 60 minutes slide over them
        hs = max(int(math.floor(hour_offset_s / HOUR)), 0)
        ms = max(int(math.floor(hour_offset_s / 60.0)), 0)  # in hour hs: whole-hour origin
        top = float(np.nanmax(out["last"])) if np.any(out["reached"]) else 0.0
        nh = max(int((top + hour_offset_s) // HOUR) + 1, hs + 1)
        nm = 60 * nh
        mins = t + np.float32(hour_offset_s)
        mins *= np.float32(1.0 / 60.0)
        np.maximum(mins, 0, out=mins)
        with np.errstate(invalid="ignore"):  # NaN (not reached): overwritten below
            mi = mins.astype(np.int32)
        del mins
        np.minimum(mi, nm - 1, out=mi)
        np.copyto(mi, np.int32(nm), where=~mask)
        # the minute bins of a few repetitions at a time: rows x minutes per repetition
        # does not shrink with the runners (1 runner x 100,000 repetitions of a 36 h race:
        # 3e9 bins in one pass, past int32 and gigabytes), so bounded by _OCC_BINS
        sub = max(1, min(c, _OCC_BINS // (rows * (nm + 1))))
        occ = np.zeros((rows, nh), np.int64)
        occ_min = np.zeros((rows, nm))
        peak, peak60 = [], []
        if staying:  # the hours runners are present in: up to the last one's departure
            ends = out["last"] + dw_occ[None, 1:]
            top_p = max(float(np.where(np.isfinite(ends), ends, 0.0).max()), dw_occ[0])
            nhp = max(nh, int((top_p + hour_offset_s) // HOUR) + 1)
            pres_sum = np.zeros((rows, nhp), np.int64)
            ppeak = []
        for a in range(0, c, sub):
            k = min(sub, c - a)
            base = (np.arange(k, dtype=np.int64)[:, None] * rows + legidx[None, :] + 1) * (nm + 1)
            per_min = np.bincount(
                (mi[a : a + k] + base[:, :, None]).ravel(), minlength=k * rows * (nm + 1)
            )
            per_min = per_min.reshape(k, rows, nm + 1)[:, :, :nm].copy()
            per_min[:, 0, ms] += n_runners
            counts = per_min.reshape(k, rows, nh, 60).sum(axis=3)
            occ += counts.sum(axis=0)
            peak.append(counts.max(axis=2))
            # the busiest 60 minutes wherever they start (staffing), to the minute
            peak60.append(minute_window_peak(per_min[:, 1:]))
            occ_min += per_min.sum(axis=0)
            if staying:
                pres = _present(counts, nhp, a, k, t, mi, mask, stay, dw_occ, hour_offset_s, step)
                if dw_occ[0] > 0:  # the starters, from the start to the start's dwell
                    end = int(max(hour_offset_s + dw_occ[0], 0.0) // HOUR)
                    pres[:, 0, ms // 60 : min(end, nhp - 1) + 1] = n_runners
                pres_sum += pres.sum(axis=0)
                ppeak.append(pres.max(axis=2))
        del mi
        if staying:
            out["pres"] = pres_sum
            out["ppeak"] = np.concatenate(ppeak)
        out["occ"] = occ
        out["peak"] = np.concatenate(peak)
        out["peak60"] = np.concatenate(peak60)
        out["occ_min"] = occ_min
        if want_q:
            k = min(c, q_reps)
            v = np.where(mask[:k], t[:k], np.inf).transpose(1, 0, 2).reshape(L, -1)
            v = np.sort(v, axis=1)
            q = np.full((qlev.size, rows), np.nan)
            q[:, 0] = 0.0
            nreach = np.isfinite(v).sum(axis=1)
            for j in range(L):
                nj = int(nreach[j])
                if nj:
                    q[:, j + 1] = np.quantile(v[j, :nj], qlev)
            out["q"] = q
        return out

    finishers = np.zeros(repetitions, np.int64)
    eliminated = np.zeros((repetitions, rows), np.int64)
    withdrawn = np.zeros((repetitions, rows), np.int64)
    reached = np.zeros((repetitions, rows), np.int64)
    first = np.full((repetitions, rows), np.nan)
    last = np.full((repetitions, rows), np.nan)
    first[:, 0] = last[:, 0] = 0.0
    reached[:, 0] = n_runners
    peak = np.zeros((repetitions, rows))
    peak60 = np.zeros((repetitions, rows))
    peak60[:, 0] = n_runners
    occ = np.zeros((rows, 1))
    occ_min = np.zeros((rows, 1))
    pres = np.zeros((rows, 1))
    ppeak = np.zeros((repetitions, rows))
    qrows = None
    jobs = [(c, sd, i == 0) for i, (c, sd) in enumerate(zip(sizes, seeds, strict=True))]
    pool = _pool(min(len(jobs), _threads()))
    if pool is not None:
        results = pool.map(lambda job: run(*job), jobs)
    else:
        results = (run(*job) for job in jobs)
    done = 0
    try:
        for (c, _, _), res in zip(jobs, results, strict=True):
            sl = slice(done, done + c)
            finishers[sl] = res["finishers"]
            eliminated[sl] += res["eliminated"]
            withdrawn[sl] += res["withdrawn"]
            reached[sl, 1:] = res["reached"]
            first[sl, 1:] = res["first"]
            last[sl, 1:] = res["last"]
            peak[sl] = res["peak"]
            nh = res["occ"].shape[1]
            if nh > occ.shape[1]:
                occ = np.pad(occ, ((0, 0), (0, nh - occ.shape[1])))
            occ[:, :nh] += res["occ"]
            peak60[sl, 1:] = res["peak60"]
            nm = res["occ_min"].shape[1]
            if nm > occ_min.shape[1]:
                occ_min = np.pad(occ_min, ((0, 0), (0, nm - occ_min.shape[1])))
            occ_min[:, :nm] += res["occ_min"]
            if staying:
                nh = res["pres"].shape[1]
                if nh > pres.shape[1]:
                    pres = np.pad(pres, ((0, 0), (0, nh - pres.shape[1])))
                pres[:, :nh] += res["pres"]
                ppeak[sl] = res["ppeak"]
            if "q" in res:
                qrows = res["q"]
            done += c
            if progress is not None:
                progress(c)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return FieldSimulation(
        n_runners=n_runners,
        repetitions=repetitions,
        seed=seed_value,
        ability_mean=mu,
        params=params,
        finishers=finishers,
        eliminated=eliminated,
        withdrawn=withdrawn,
        reached=reached,
        first_arrival=first,
        last_arrival=last,
        quantile_levels=qlev,
        arrival_quantiles=qrows,
        hour_offset_s=float(hour_offset_s),
        capped=capped,
        occupancy=occ / repetitions,
        occupancy_peak=peak,
        minute_occupancy=occ_min / repetitions,
        occupancy_peak_60min=peak60,
        # no planned stop anywhere: a runner is present at his arrival instant only
        present=pres / repetitions if staying else occ / repetitions,
        present_peak=ppeak if staying else peak.copy(),
    )


def _present(counts, nhp, a, k, t, mi, mask, stay, dwell, hour_offset_s, step):
    """Runners present per clock hour at each row for repetitions ``a`` to ``a + k`` of
    a chunk of :func:`simulate_field`, shape (k, rows, nhp): the arrivals per hour
    (``counts``, (k, rows, nh)) on rows without a stop, and on each leg ``j`` of ``stay``
    (its arrival row ``j + 1`` has a ``dwell``) each runner reaching it counted in every
    hour from his arrival's (that of ``mi``, his arrival minute) to his departure's. One
    leg and ``step`` repetitions at a time (memory); a difference array over the hours."""
    rows, nh = counts.shape[1], counts.shape[2]
    pres = np.zeros((k, rows, nhp), np.int64)
    pres[:, :, :nh] = counts
    width = nhp + 1  # one spare bin per repetition: the departures in the last hour
    for j in stay:
        dep = np.float32(hour_offset_s + dwell[j + 1])
        diff = np.zeros(k * width, np.int64)
        for b in range(a, a + k, step):
            e = min(b + step, a + k)
            hour_in = mi[b:e, j, :] // 60
            u = t[b:e, j, :] + dep  # the departure, minutes as the arrival's
            u *= np.float32(1.0 / 60.0)
            np.maximum(u, 0, out=u)
            with np.errstate(invalid="ignore"):  # NaN: a runner not reaching it (masked)
                hour_out = u.astype(np.int32) // 60
            del u
            np.clip(hour_out, hour_in, nhp - 1, out=hour_out)
            base = (np.arange(e - b, dtype=np.int64) * width)[:, None]
            reach = mask[b:e, j, :]
            # +1 in the arrival's hour, -1 after the departure's; runners not reaching
            # the row put both in bin 0, where they cancel
            lo = np.where(reach, hour_in + base, 0).ravel()
            hi = np.where(reach, hour_out + 1 + base, 0).ravel()
            n = (e - b) * width
            diff[(b - a) * width : (e - a) * width] += np.bincount(lo, minlength=n)
            diff[(b - a) * width : (e - a) * width] -= np.bincount(hi, minlength=n)
        pres[:, j + 1, :] = np.cumsum(diff.reshape(k, width), axis=1)[:, :nhp]
    return pres


def _pool(workers: int):
    """A pool of ``workers`` threads, or None for one (run in the caller's thread)."""
    if workers <= 1:
        return None
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(workers)


def _threads() -> int:
    """Worker threads of :func:`simulate_field`: the CPUs this process may use, at most 4
    (memory: ~230 MB per chunk in flight); ``COURSEKIT_THREADS`` overrides (1 = no threads)."""
    import os

    env = os.environ.get("COURSEKIT_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return min(int(env), 4)
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(4, n))


# ---------------------------------------------------------------- history (split times)


def history_outcomes(elapsed, status, *, cutoff_elapsed=None, quantiles=(0.1, 0.5, 0.9)) -> dict:
    """What happened in a past race, in the terms of :class:`FieldSimulation`.

    Parameters
    ----------
    elapsed : ndarray, shape (runners, rows)
        Passage times [s from each runner's start], NaN when missing.
    status : array of str
        ``FINISHER``, ``OUT_OF_TIME``, ``WITHDRAWN``, ...
    cutoff_elapsed : array_like, shape (rows,), optional
        Barriers [s]: an out-of-time runner is counted at the last row they
        reached if they arrived after its barrier, else at the next row with
        a barrier.

    Returns
    -------
    dict
        ``starters``, ``finishers``, ``eliminated`` (per row), ``withdrawn``
        (per row, at the last row reached), ``reached`` (per row),
        ``arrival_quantiles`` (levels x rows [s]).
    """
    E = np.asarray(elapsed, float)
    status = np.asarray(status)
    n, rows = E.shape
    started = np.isfinite(E).sum(axis=1) >= 1
    E = E[started]
    st = status[started]
    cut = _as_rows(cutoff_elapsed, rows, "cutoff_elapsed")
    fin = st == FINISHER
    last_row = np.where(
        np.isfinite(E).any(axis=1), rows - 1 - np.argmax(np.isfinite(E[:, ::-1]), axis=1), 0
    )
    elim = np.zeros(rows, int)
    wd = np.zeros(rows, int)
    for i in np.nonzero(st == OUT_OF_TIME)[0]:
        j = int(last_row[i])
        if math.isfinite(cut[j]) and E[i, j] > cut[j]:
            elim[j] += 1
            continue
        nxt = [k for k in range(j + 1, rows) if math.isfinite(cut[k])]
        elim[nxt[0] if nxt else min(j + 1, rows - 1)] += 1
    for i in np.nonzero(~fin & (st != OUT_OF_TIME))[0]:
        wd[int(last_row[i])] += 1
    reached = np.isfinite(E).sum(axis=0)
    q = np.full((len(quantiles), rows), np.nan)
    for j in range(rows):
        v = E[:, j][np.isfinite(E[:, j])]
        if v.size:
            q[:, j] = np.quantile(v, quantiles)
    return {
        "starters": int(started.sum()),
        "finishers": int(fin.sum()),
        "eliminated": elim,
        "withdrawn": wd,
        "reached": reached,
        "arrival_quantiles": q,
    }


def late_stops(elapsed, status, *, cutoff_elapsed) -> np.ndarray:
    """Runners whose race ended at a barrier they reached after its time, any other status.

    :func:`simulate_field` eliminates every runner who reaches a barrier after
    its time; in split times, a runner stopped there is often labelled
    ``WITHDRAWN``, ``UNRANKED``, ... rather than ``OUT_OF_TIME``. Those are
    eliminations, not withdrawals (:func:`fit_field` leaves them out of the
    withdrawals; ``benchmarks/bench_simulation.py`` counts them as eliminated).

    Parameters
    ----------
    elapsed : ndarray, shape (runners, rows)
        Passage times [s], NaN when missing, on the barriers' origin (by the
        clock from the first wave's start for clock-time barriers).
    status : array of str
        Final status per runner.
    cutoff_elapsed : array_like, shape (rows,)
        Barriers [s], NaN where none.

    Returns
    -------
    ndarray of int, shape (runners,)
        The row of that barrier (the runner's last recorded passage, after the
        barrier: ``>``, as the simulation's ``arrival + dwell > cutoff`` with no
        dwell), or -1; -1 for ``OUT_OF_TIME`` runners (:func:`history_outcomes`
        places them) and for a passage at the start row. A ``FINISHER`` past
        the finish barrier is one.
    """
    E = np.asarray(elapsed, float)
    status = np.asarray(status)
    rows = E.shape[1]
    cut = _as_rows(cutoff_elapsed, rows, "cutoff_elapsed")
    seen = np.isfinite(E)
    last = rows - 1 - np.argmax(seen[:, ::-1], axis=1)
    at = E[np.arange(E.shape[0]), last]
    with np.errstate(invalid="ignore"):
        late = seen.any(axis=1) & (last > 0) & np.isfinite(cut[last]) & (at > cut[last])
    return np.where(late & (status != OUT_OF_TIME), last, -1)


@dataclass(frozen=True, eq=False)
class FieldFit:
    """Result of :func:`fit_field`.

    Attributes
    ----------
    params : FieldParams
    ability_mean : float
        :math:`\\mu` relative to ``reference_elapsed`` (the median finisher) [-].
    reference_elapsed : ndarray
        Median finisher's passage per row [s]; rows without data are
        interpolated on the effort fraction.
    slopes : ndarray
        Cumulative fatigue weight per row, measured (NaN where not measured).
    finish_ratio : float
        Median finisher's time / the reference's finish (1 by construction).
    notes : tuple of str
        What the fit left out or interpolated, and the foresight term's
        log-likelihood gain (kept above :data:`AHEAD_MIN_GAIN`) where it was fitted.
    measured : ndarray of bool
        Rows whose ``reference_elapsed`` is measured (passed by at least
        ``min_runners`` and half of the finishers), not interpolated.
    """

    params: FieldParams
    ability_mean: float
    reference_elapsed: np.ndarray
    slopes: np.ndarray
    notes: tuple[str, ...] = ()
    measured: np.ndarray | None = None


def _robust_sd(x):
    q16, q84 = np.quantile(x, [0.1587, 0.8413])
    return 0.5 * float(q84 - q16)


def _fit_ability(th):
    """(median, spread, skew) of log time multipliers by least squares on 25 quantiles.

    Quantiles 2 %..98 % of ``th`` against :math:`\\mu + g(\\Phi^{-1}(p))`
    (:func:`_ability`); the spread is the slope of ``g`` at the median.
    """
    from scipy.optimize import minimize
    from scipy.special import ndtri

    p = np.linspace(0.02, 0.98, 25)
    zq = ndtri(p)
    qt = np.quantile(th, p)
    mu0, s0 = float(np.median(th)), max(_robust_sd(th), 0.02)

    def loss(u):
        mu, ls, lam = u
        return float(np.sum((qt - mu - _ability(zq, math.exp(ls), lam)) ** 2))

    res = minimize(
        loss,
        x0=[mu0, math.log(s0), 0.5],
        method="L-BFGS-B",
        bounds=[(mu0 - 1, mu0 + 1), (math.log(0.01), math.log(2.0)), (-3.0, 3.0)],
    )
    mu, ls, lam = (float(v) for v in res.x)
    return mu, math.exp(ls), lam


AHEAD_MIN_GAIN = 3.0
"""Log-likelihood gain [-] above which :func:`fit_field` keeps the hazard on the barrier
after next: half the 95 % point of a chi-square with 2 degrees of freedom (5.99 / 2), the
likelihood-ratio test of its two parameters."""


FORESIGHT_NODES = 16
"""Gauss-Hermite nodes over the unseen arrival at the next barrier in the foresight fit."""


def _foresight_passages(E, R, cut, j, use, qcoef, min_runners: int = 20):
    """The foresight term's data at row ``j`` for the passages ``use``.

    Where row ``b = j + 1`` has a barrier (time :math:`T_b`, the published
    barrier ``cut[b]``, as :func:`simulate_field` divides by it: split times
    carry no planned stop to subtract): the runner's
    arrival there, :math:`A_{ib}`, seen (NaN where not) and, for the passages
    where it is not, its distribution given the passage: :math:`\\ln(A_{ib} -
    E_{ij}) = a + b_1 \\ln(E_{ij} / R_j) + s \\varepsilon` by least squares over
    the runners timed at both rows and on time at the next barrier's pace
    (:math:`q \\le 1`, ``qcoef`` the behind-the-barrier ratio's coefficient at
    ``j``: a selection on the regressor, whose hazard is small). Returns
    ``(log A_obs / T_b, log A_nodes / T_b)`` (passages; passages x
    :data:`FORESIGHT_NODES`) or None (no barrier at ``j + 1``, fewer than
    ``min_runners`` such runners).
    """
    rows = E.shape[1]
    b = j + 1
    if b >= rows or not (math.isfinite(cut[b]) and cut[b] > 0):
        return None
    T = float(cut[b])
    with np.errstate(all="ignore"):
        x = np.log(E[use, j] / R[j])
        A = E[use, b]
        y = np.log(A - E[use, j])
    ok = np.isfinite(x) & np.isfinite(y) & (E[use, j] * qcoef <= 1.0)
    if ok.sum() < min_runners:
        return None
    b1, a = np.polyfit(x[ok], y[ok], 1)
    s = max(_robust_sd(y[ok] - a - b1 * x[ok]), 1e-3)
    nodes, _ = np.polynomial.hermite_e.hermegauss(FORESIGHT_NODES)
    xs = np.where(np.isfinite(x), x, 0.0)
    An = E[use, j][:, None] + np.exp(a + b1 * xs[:, None] + s * nodes[None, :])
    with np.errstate(all="ignore"):
        lobs = np.where(np.isfinite(A) & (A > 0), np.log(A / T), np.nan)
    return lobs, np.log(An / T)


def _fit_withdrawals(E, dnf, R, cut, cfrac, coefR, j1, coefR2=None, foresight=False, clock=None):
    """Maximum likelihood of (dnf_share, kappa, behind_hazard, behind_slope) on passages.

    Every passage of a runner at a checkpoint before the finish (not late at
    its own barrier, by ``clock``: the passages on the barriers' origin, default
    ``E``) is a Bernoulli trial: the runner withdraws there (last
    row reached, status neither finisher nor out of time) with probability
    :math:`1 - \\exp(-\\Lambda e^{\\kappa z_i} \\Delta c_{ij} - h_0 q_{ij}^{\\gamma})`
    (:class:`FieldParams`; :math:`\\Delta c` the effort fraction run since the
    runner's previous passage, :math:`z_i` the normal score of the runner's
    rank at checkpoint ``j1`` or, for those who stopped before, at their last
    checkpoint).

    With ``coefR2`` (:func:`_behind_coef` on the barrier after next) the
    hazard has the term :math:`h'_0 q'^{\\gamma'}_{ij}` as well
    (``ahead_hazard``, ``ahead_slope``), fitted jointly (six parameters, best
    of three starting points) and kept when it raises the log-likelihood by
    more than :data:`AHEAD_MIN_GAIN` (else 0 and the four-parameter fit).

    With ``foresight`` the hazard at the last checkpoint before a barrier has
    the term :math:`h''_0 (A_{ib} / T_b)^{\\gamma''}` on the runner's own arrival
    at that barrier (``foresight_hazard``, ``foresight_slope``), fitted jointly
    with the others and kept on the same test. That arrival is seen for the
    runners who went on (the factor of their passage is then
    :math:`e^{-H - h''_0 (A/T_b)^{\\gamma''}}`); for those who withdrew there
    (or went on and were not timed at the barrier) it is integrated over its
    distribution given the passage (:func:`_foresight_passages`,
    Gauss-Hermite). Only the checkpoint just before the barrier: from one
    further back, the runners seen at the barrier are also those the
    checkpoints in between did not stop, a selection on the same arrival
    (that fit found a term of 0.25 in fields drawn without one). Returns
    ``(dnf_share, kappa, h0, gamma, h2, gamma2, h3, gamma3, gain3)`` (``h2`` 0 without
    ``coefR2``, ``h3`` 0 without ``foresight``; ``gain3`` the foresight term's
    log-likelihood gain, kept or not, NaN where it was not fitted).
    """
    from scipy.optimize import minimize
    from scipy.special import logsumexp, ndtri

    n, rows = E.shape
    fin_row = np.isfinite(E)
    last = np.where(fin_row.any(axis=1), rows - 1 - np.argmax(fin_row[:, ::-1], axis=1), 0)
    clock = E if clock is None else clock
    with np.errstate(all="ignore"):
        xr = np.log(E[:, j1] / R[j1])
        xl = np.log(E[np.arange(n), last] / np.where(R[last] > 0, R[last], np.nan))
    xa = np.where(np.isfinite(xr), xr, xl)
    ok = np.isfinite(xa)
    z = np.zeros(n)
    ranks = np.argsort(np.argsort(xa[ok]))
    z[ok] = ndtri((ranks + 0.5) / max(ok.sum(), 1))
    two = coefR2 is not None and bool(np.any(coefR2 > 0))
    c2 = coefR2 if two else np.zeros(rows - 1)
    dc, q, q2, y, zz = [], [], [], [], []
    lo3, ln3 = [], []
    prev = np.zeros(n)
    for j in range(1, rows - 1):
        here = fin_row[:, j]
        late = here & np.isfinite(cut[j]) & (clock[:, j] > cut[j])
        use = here & ~late
        if foresight:
            fp = _foresight_passages(E, R, cut, j, use, coefR[j - 1])
            m = int(use.sum())
            if fp is None:
                fp = (np.full(m, np.nan), np.full((m, FORESIGHT_NODES), np.nan))
            lo3.append(fp[0])
            ln3.append(fp[1])
        dc.append(cfrac[j] - prev[use])
        q.append(E[use, j] * coefR[j - 1])
        q2.append(E[use, j] * c2[j - 1])
        y.append(dnf[use] & (last[use] == j))
        zz.append(z[use])
        prev = np.where(here, cfrac[j], prev)
    dc, q, q2, y, zz = (np.concatenate(a) for a in (dc, q, q2, y, zz))
    y = y.astype(bool)
    lq = np.log(np.where(q > 0, q, 1.0))
    has_q = q > 0
    lq2 = np.log(np.where(q2 > 0, q2, 1.0))
    has_q2 = q2 > 0

    def nll(u):
        lam, kap, lh0, gam = u
        H = np.exp(lam + kap * zz) * dc + np.where(has_q, np.exp(lh0 + gam * lq), 0.0)
        H = np.maximum(H, 1e-300)
        return float(-np.sum(np.log(-np.expm1(-H[y]))) + np.sum(H[~y]))

    lam0 = math.log(max(_dnf_rate(max(float(dnf.mean()), 1e-3), 0.5), 1e-6))
    bounds = [(-15.0, 5.0), (-3.0, 3.0), (-15.0, math.log(100.0)), (0.0, 200.0)]
    res = minimize(nll, x0=[lam0, 0.5, math.log(0.2), 20.0], method="L-BFGS-B", bounds=bounds)
    lam, kap, lh0, gam = (float(v) for v in res.x)
    h2, gam2 = 0.0, FieldParams.ahead_slope
    if two:

        def nll2(u):
            H = np.exp(u[0] + u[1] * zz) * dc
            H = H + np.where(has_q, np.exp(np.minimum(u[2] + u[3] * lq, 80.0)), 0.0)
            H = H + np.where(has_q2, np.exp(np.minimum(u[4] + u[5] * lq2, 80.0)), 0.0)
            H = np.maximum(H, 1e-300)
            return float(-np.sum(np.log(-np.expm1(-H[y]))) + np.sum(H[~y]))

        starts = [
            [*res.x, math.log(0.05), 20.0],  # the old fit, a small term ahead
            [lam, kap, math.log(0.05), 10.0, math.log(0.05), 20.0],
            [lam, kap, lh0 - 2.0, gam, lh0, gam],  # the old term moved ahead
        ]
        best = min(
            (
                minimize(
                    nll2,
                    x0=x0,
                    method="L-BFGS-B",
                    bounds=[*bounds, (-15.0, math.log(100.0)), (0.0, 200.0)],
                )
                for x0 in starts
            ),
            key=lambda r: r.fun,
        )
        # kept when the likelihood ratio is significant (chi-square, 2 degrees of freedom,
        # 5 %): where the barrier after next is as tight as the next, q2 = q and the two
        # terms cannot be told apart
        if res.fun - best.fun > AHEAD_MIN_GAIN:
            lam, kap, lh0, gam, lh2, gam2 = (float(v) for v in best.x)
            h2 = math.exp(lh2)
    h3, gam3, gain3 = 0.0, FieldParams.foresight_slope, math.nan
    lo3 = np.concatenate(lo3) if lo3 else np.zeros(0)
    has3 = foresight and bool(np.any(np.isfinite(lo3)))
    if has3:
        ln3 = np.concatenate(ln3)
        has_n = np.isfinite(ln3[:, 0])
        seen = np.isfinite(lo3) & ~y
        latent = has_n & ~seen
        ln3 = ln3[latent]  # the nodes only where the arrival is not seen
        lo3 = np.where(seen, lo3, 0.0)
        _, w3 = np.polynomial.hermite_e.hermegauss(FORESIGHT_NODES)
        lw3 = np.log(w3 / w3.sum())
        k0 = 6 if h2 > 0 else 4
        prior = [lam, kap, lh0, gam] + ([math.log(h2), gam2] if h2 > 0 else [])
        prior_fun = best.fun if h2 > 0 else res.fun

        def nll3(u):
            H = np.exp(u[0] + u[1] * zz) * dc
            H = H + np.where(has_q, np.exp(np.minimum(u[2] + u[3] * lq, 80.0)), 0.0)
            if k0 == 6:
                H = H + np.where(has_q2, np.exp(np.minimum(u[4] + u[5] * lq2, 80.0)), 0.0)
            lh3_, g3_ = u[k0], u[k0 + 1]
            Hs = np.where(seen, np.exp(np.minimum(lh3_ + g3_ * lo3, 80.0)), 0.0)
            # log E[exp(-H3)] over the unseen arrival (0 where there is no term)
            lS = logsumexp(lw3[None, :] - np.exp(np.minimum(lh3_ + g3_ * ln3, 80.0)), axis=1)
            tot = H + Hs
            tot[latent] -= lS
            tot = np.maximum(tot, 1e-300)  # -log P(no withdrawal)
            return float(-np.sum(np.log(-np.expm1(-tot[y]))) + np.sum(tot[~y]))

        b3 = [(-15.0, math.log(100.0)), (0.0, 200.0)]
        bnds = bounds + ([(-15.0, math.log(100.0)), (0.0, 200.0)] if k0 == 6 else []) + b3
        starts = [
            [*prior, math.log(0.05), 20.0],
            [*prior, math.log(0.3), 10.0],
            [*prior[:2], prior[2] - 2.0, *prior[3:], prior[2], prior[3]],
        ]
        best3 = min(
            (minimize(nll3, x0=x0, method="L-BFGS-B", bounds=bnds) for x0 in starts),
            key=lambda r: r.fun,
        )
        gain3 = float(prior_fun - best3.fun)
        if gain3 > AHEAD_MIN_GAIN:
            v = [float(a) for a in best3.x]
            lam, kap, lh0, gam = v[:4]
            if k0 == 6:
                h2, gam2 = math.exp(v[4]), v[5]
            h3, gam3 = math.exp(v[k0]), v[k0 + 1]
    x, wts = np.polynomial.hermite_e.hermegauss(60)
    wts = wts / wts.sum()
    share = float(np.sum(wts * (1 - np.exp(-math.exp(lam) * np.exp(kap * x)))))
    return min(share, 0.95), kap, math.exp(lh0), gam, h2, gam2, h3, gam3, gain3


def _fit_chase(E, R, cut, coefR, min_legs: int = 5, min_runners: int = 20):
    """Chasing share :math:`c` (:class:`FieldParams`) on the legs of runners projected late.

    For each leg ``j - 1 -> j`` after a checkpoint with a next barrier,
    :math:`x_i = \\ln(E_{i,j-1} / R_{j-1})` (the runner's pace so far) and
    :math:`y_i = \\ln((E_{ij} - E_{i,j-1}) / (R_j - R_{j-1}))` (his leg). On the
    runners on time there (:math:`q \\le 1`), :math:`y = a_j + b_j x` by least
    squares; the runners projected late (:math:`q > 1`) and slower than the
    median :math:`x_m` of the passers then give :math:`u = b_j (x - x_m)` (the
    deviation they would run at their own pace) and :math:`v = y - a_j - b_j x_m`
    (the one they ran), and :math:`c = 1 - \\sum u v / \\sum u^2` over every such
    leg (clipped to [0, 1]). The selection on :math:`q` is a selection on the
    regressor :math:`x`, and a runner's withdrawal depends on :math:`q` only
    (:func:`_fit_withdrawals`), so this is the continuing runners' factor of the
    same passages' likelihood. Passages already late at their own barrier are
    left out, as in the hazard fit.

    Returns
    -------
    (share, legs) : (float, int)
        ``share`` None when fewer than ``min_legs`` late legs were seen.
    """
    rows = E.shape[1]
    U, V = [], []
    for j in range(2, rows):
        cq = coefR[j - 2]
        if cq <= 0:
            continue
        here = np.isfinite(E[:, j - 1])
        late_own = np.isfinite(cut[j - 1]) & (E[:, j - 1] > cut[j - 1])
        use = here & np.isfinite(E[:, j]) & ~late_own
        if use.sum() < min_runners:
            continue
        with np.errstate(all="ignore"):
            x = np.log(E[use, j - 1] / R[j - 1])
            y = np.log((E[use, j] - E[use, j - 1]) / (R[j] - R[j - 1]))
            xm = float(np.median(np.log(E[here, j - 1] / R[j - 1])))
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        late = x + math.log(R[j - 1] * cq) > 0  # q = E coefR > 1
        on_time = ~late
        chase = late & (x > xm)
        if on_time.sum() < min_runners or not chase.any():
            continue
        b, a = np.polyfit(x[on_time], y[on_time], 1)
        U.append(b * (x[chase] - xm))
        V.append(y[chase] - a - b * xm)
    if not U or sum(u.size for u in U) < min_legs:
        return None, sum(u.size for u in U)
    U, V = np.concatenate(U), np.concatenate(V)
    return float(np.clip(1.0 - np.sum(U * V) / np.sum(U * U), 0.0, 1.0)), int(U.size)


TAIL_EASE_DRAWS = 20_000
"""Runners of the model field :func:`_fit_tail_ease` draws to predict its statistic."""


def _half_slopes(x, y, on_time, n_min):
    """(cov, var) of ``y`` on ``x`` in the slower and the faster half (split at the
    median ``x``) of the runners ``on_time``; None when a half has < ``n_min``."""
    x, y = x[on_time], y[on_time]
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 2 * n_min:
        return None
    xm = float(np.median(x))
    out = []
    for h in (x > xm, x <= xm):
        if h.sum() < n_min:
            return None
        xh, yh = x[h] - x[h].mean(), y[h] - y[h].mean()
        out += [float(np.mean(xh * yh)), float(np.mean(xh * xh))]
    return out, int(x.size)


def _fit_tail_ease(E, R, cut, coefR, eff, params, mu, weights, min_runners=20, late_from=0.5):
    """``tail_ease`` :math:`e` (:class:`FieldParams`) on the late legs of the runners on time.

    For each leg ``j - 1 -> j`` starting past ``late_from`` of the effort,
    :math:`x_i = \\ln(E_{i,j-1} / R_{j-1})` (the runner's pace so far) and
    :math:`y_i = \\ln((E_{ij} - E_{i,j-1}) / (R_j - R_{j-1}))` (his leg), over the
    runners timed at both rows, not late at row ``j - 1``'s barrier and not projected
    late at the next one (:math:`q \\le 1`: chasing, ``chase_share``, is left out; a
    selection on the regressor, as the withdrawal hazards depend on :math:`q`). The
    statistic is the ratio of the slopes of :math:`y` on :math:`x` in the slower and the
    faster half (split at the median :math:`x`), pooled over the legs (covariances and
    variances weighted by the runners). Its value under the model is not 1 even with
    :math:`e = 0` (the slow half is narrower in log time, ``skew``, and the leg noise in
    :math:`x` flattens its slope more), so it is predicted by drawing
    :data:`TAIL_EASE_DRAWS` runners of the model field (``params`` spread, skew, leg
    noise, ``weights`` :math:`w_k h_k`, median ``mu``; the same draws for every
    :math:`e`) with the same selection, and :math:`e` in [0, 1] is where the prediction, which falls
    with :math:`e`, meets the split times' ratio (bisection, rounded to 0.01).

    Returns
    -------
    (ease, legs, ratio) : (float or None, int, float)
        ``ease`` None when fewer than 2 late legs have ``min_runners`` runners in each
        half; ``ratio`` the split times' statistic.
    """
    rows = E.shape[1]
    r = np.diff(R)
    e = np.asarray(eff, float)[1:]
    tot = float(e.sum()) if e.sum() > 0 else 1.0
    cfrac = np.r_[0.0, np.cumsum(e) / tot]
    legs, nn, acc = [], [], np.zeros(4)
    for j in range(2, rows):
        if cfrac[j - 1] < late_from:
            continue
        cq = coefR[j - 2]
        with np.errstate(all="ignore"):
            x = np.log(E[:, j - 1] / R[j - 1])
            y = np.log((E[:, j] - E[:, j - 1]) / (R[j] - R[j - 1]))
        keep = ~(np.isfinite(cut[j - 1]) & (E[:, j - 1] > cut[j - 1]))
        if cq > 0:
            keep &= E[:, j - 1] * cq <= 1.0
        hs = _half_slopes(x, y, keep, min_runners)
        if hs is None:
            continue
        legs.append(j)
        nn.append(hs[1])
        acc += hs[1] * np.asarray(hs[0])
    if len(legs) < 2 or acc[3] <= 0 or acc[2] == 0:
        return None, len(legs), math.nan
    ratio = float((acc[0] / acc[1]) / (acc[2] / acc[3]))
    # the model's statistic for each e, on one draw of runners
    g = np.random.default_rng(20240616)
    z = g.standard_normal(TAIL_EASE_DRAWS)
    dev = _ability(z, params.spread, params.skew, params.fastest)[:, None]
    noise = params.leg_sigma * g.standard_normal((TAIL_EASE_DRAWS, rows - 1))
    w = np.asarray(weights, float)

    def predicted(ease):
        ws = _slow_weights(w, e, ease) if ease > 0 else w
        lx = mu * w[None, :] + np.where(dev > 0, dev * ws[None, :], dev * w[None, :]) + noise
        t = np.cumsum(r[None, :] * np.exp(lx), axis=1)
        sim = np.zeros(4)
        for j, n_j in zip(legs, nn, strict=True):
            x = np.log(t[:, j - 2] / R[j - 1])
            cq = coefR[j - 2]
            keep = (t[:, j - 2] * cq <= 1.0) if cq > 0 else np.ones(x.size, bool)
            hs = _half_slopes(x, lx[:, j - 1], keep, min_runners)
            if hs is not None:
                sim += n_j * np.asarray(hs[0])
        return (sim[0] / sim[1]) / (sim[2] / sim[3]) if sim[1] > 0 and sim[3] > 0 else 1.0

    # the statistic falls with e: bisection, to 0.01
    if predicted(0.0) <= ratio:
        return 0.0, len(legs), ratio
    if predicted(1.0) >= ratio:
        return 1.0, len(legs), ratio
    lo, hi = 0.0, 1.0
    for _ in range(10):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if predicted(mid) > ratio else (lo, mid)
    return round(0.5 * (lo + hi), 2), len(legs), ratio


def fit_field(
    elapsed,
    status,
    *,
    leg_effort,
    cutoff_elapsed=None,
    early_fraction: float = 0.3,
    min_runners: int = 20,
    ahead: bool = True,
    foresight: bool = True,
    ease: bool = True,
    start_offset=None,
    source="",
) -> FieldFit:
    """Calibrate :class:`FieldParams` on the split times of a past race.

    Parameters
    ----------
    elapsed : ndarray, shape (runners, rows)
        Passage times [s from each runner's start] (NaN when missing).
    status : array of str
        Final status per runner (``FINISHER``, ``OUT_OF_TIME``, others = withdrawal,
        except a runner whose race ended at a barrier he reached after its time:
        eliminated there, whatever his status, :func:`late_stops`).
    leg_effort : array_like, shape (rows,)
        Km-effort per leg [km].
    cutoff_elapsed : array_like, shape (rows,), optional
        The race's barriers [s from start], NaN where none: with barriers
        before the finish, the withdrawal hazards (``dnf_share``,
        ``dnf_ability``, ``behind_hazard``, ``behind_slope``) are fitted
        jointly by maximum likelihood on every passage.
    early_fraction : float, default 0.3
        Effort fraction of the checkpoint on which the ability spread of the
        whole field (finishers and not) is measured.
    min_runners : int, default 20
        Rows with fewer finisher passages are not used.
    ahead : bool, default True
        Fit the hazard on the barrier after next (``ahead_hazard``,
        ``ahead_slope``) with the others; False: 0, the fit before the
        fourteenth sprint.
    foresight : bool, default True
        Fit the hazard on the runner's own arrival at the next barrier
        (``foresight_hazard``, ``foresight_slope``) with the others; False: 0,
        the fit before the fifteenth sprint.
    ease : bool, default True
        Fit ``tail_ease`` on the late legs; False: 0, the fit before the
        sixteenth sprint.
    start_offset : array_like, shape (runners,), optional
        Each runner's start after the barriers' origin [s] (start waves: his
        own start passage minus the first wave's). A passage is late at a
        barrier when ``elapsed + start_offset`` is after it, by the clock as the
        barriers are: such a passage is no withdrawal trial, and a runner who
        stopped there is eliminated, not withdrawn. Default 0 (each runner's
        own start, the fit before the sixteenth sprint's fourth part).

    Returns
    -------
    FieldFit

    Notes
    -----
    1. Reference: the median finisher's passage per row, :math:`R_j`.
    2. :math:`x_{ij} = \\ln(E_{ij} / R_j)`; for finishers
       :math:`\\theta_i = x_{i,\\mathrm{finish}}`; the slope of :math:`x_{ij}`
       on :math:`\\theta_i` is the cumulative weight :math:`W_j`, and
       :math:`\\beta` is the least-squares fit of
       :math:`W_j = 1 + \\beta g_j` (the cumulative form of :func:`fatigue_weights`).
    3. ``leg_sigma``: median over legs of the residual spread of the log leg
       times after regression on :math:`\\theta`, divided by
       :math:`\\sqrt{1 - 2 w_j + \\sum_k w_k^2}` (:math:`w_j` the leg's share of
       the median finisher's time): :math:`\\theta` holds each leg's own noise,
       which the regression takes out of the residual (-5 % on 11 equal legs
       before the thirty-third sprint).
    4. ``spread`` and :math:`\\mu`: robust spread and median of
       :math:`x_{ij^*}/W_{j^*}` over every runner passing the checkpoint
       :math:`j^*` nearest ``early_fraction`` (noise variance removed).
    5. Without barriers: ``dnf_share`` is the share of starters neither
       finisher nor out of time; ``dnf_ability``: :math:`\\kappa` reproducing
       the mean standard score (rank at an early checkpoint) of those who
       withdrew. With barriers: joint maximum likelihood of the km-effort and
       behind-the-barrier hazards on every passage (see :class:`FieldParams`);
       ``dnf_share`` is then the share the km-effort hazard alone would stop.
       Where some checkpoint has a barrier after next, the hazard on it
       (``ahead_hazard``, ``ahead_slope``) is in the same likelihood; it is
       kept when the likelihood-ratio test of its two parameters passes at
       5 % (else 0: where the barrier after next is as tight as the next,
       the two terms are the same).
       The hazard on the runner's own arrival at the next barrier
       (``foresight_hazard``, ``foresight_slope``) is in the same likelihood,
       kept on the same test (:func:`_fit_withdrawals`).
    6. ``level_sd``, ``start_compression`` and ``start_time_s`` are
       :data:`DEFAULT_FIELD`'s: one edition cannot show the first, and one
       race has too few early checkpoints for the other two together (fitted
       per race they run off to :math:`a < 0` or :math:`a > 1`;
       ``bench_simulation`` fits them over all ten race-editions). With
       :math:`\\tau_0` kept, :math:`a` alone is fitted per race by
       :func:`fit_start_compression`, which needs the weights the race is
       simulated with (a pace model's, which this fit does not have):
       :func:`coursekit.event.history_race` replaces it.
    7. ``chase_share``: least squares on the legs run by runners projected
       late at the next barrier against their own pace so far
       (:func:`_fit_chase`); 0 without a barrier, or with fewer than 5 such
       legs.
    8. ``tail_ease`` (with ``ease``; False: 0, the fit before the sixteenth
       sprint): the slower half's slope of the late legs on the pace so far,
       against the faster half's, matched to the model's (:func:`_fit_tail_ease`);
       0 with fewer than 2 late legs.
    """
    from scipy.special import ndtri

    E = np.asarray(elapsed, float)
    st = np.asarray(status)
    started = np.isfinite(E[:, 1:]).any(axis=1)
    E, st = E[started], st[started]
    off = None if start_offset is None else np.asarray(start_offset, float)[started]
    n, rows = E.shape
    eff = _as_rows(leg_effort, rows, "leg_effort")
    cfrac = np.cumsum(eff) / max(eff.sum(), 1e-9)
    fin = (st == FINISHER) & np.isfinite(E[:, -1])
    if fin.sum() < min_runners:
        raise HistoryError(f"fit_field: only {int(fin.sum())} finishers with a finish time")
    notes = []
    passed = np.isfinite(E[fin]).sum(axis=0)
    good = (passed >= min_runners) & (passed >= 0.5 * fin.sum())  # branches, lost timing
    good[0] = True
    with np.errstate(all="ignore"):
        R = np.where(good, np.nanmedian(np.where(good, E[fin], 0.0), axis=0), np.nan)
    R[0] = 0.0
    if np.any(~good):
        notes.append(
            f"{int((~good).sum())} checkpoints passed by < 50 % of finishers (interpolated)"
        )
    ok = np.isfinite(R)
    R = np.interp(cfrac, cfrac[ok], R[ok])
    R = np.maximum.accumulate(R)
    r = np.diff(R, prepend=0.0)
    r[1:] = np.maximum(r[1:], 1.0)
    with np.errstate(all="ignore"):
        X = np.log(E / np.where(R > 0, R, np.nan))
    theta_f = X[fin, -1]
    W = np.full(rows, np.nan)
    tc = theta_f - theta_f.mean()
    for j in range(1, rows):
        if not good[j]:
            continue
        x = X[fin, j]
        ok = np.isfinite(x)
        if ok.sum() >= min_runners:
            a = tc[ok] - tc[ok].mean()
            W[j] = float(np.sum(a * (x[ok] - x[ok].mean())) / np.sum(a * a))
    # cumulative form g_j of the fatigue weights
    e = eff[1:] if eff[1:].sum() > 0 else np.ones(rows - 1)
    c_end = np.cumsum(e) / e.sum()
    c_mid = c_end - e / (2 * e.sum())
    rr = r[1:]
    cbar = float(np.sum(rr * c_mid) / rr.sum())
    g = np.r_[0.0, np.cumsum(rr * (c_mid - cbar)) / np.cumsum(rr)]
    ok = np.isfinite(W) & (np.arange(rows) > 0) & (np.arange(rows) < rows - 1)
    beta = float(np.sum(g[ok] * (W[ok] - 1)) / np.sum(g[ok] ** 2)) if ok.sum() >= 2 else 0.5
    beta = float(np.clip(beta, -2.0, 2.0))
    # leg noise: the residual against theta_f, which holds each leg's own noise with the
    # weight w_j (the leg's share of the median finisher's time), keeps only
    # 1 - 2 w_j + sum(w^2) of its variance (spread of abilities >> leg noise)
    w = r[1:] / max(R[-1], 1.0)
    keep = np.clip(1.0 - 2.0 * w + np.sum(w * w), 0.05, 1.0)
    sig = []
    for j in range(1, rows):
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.log(E[fin, j] - E[fin, j - 1])
        okj = np.isfinite(y) & np.isfinite(theta_f)
        if okj.sum() >= min_runners:
            A = np.c_[np.ones(okj.sum()), theta_f[okj]]
            coef, *_ = np.linalg.lstsq(A, y[okj], rcond=None)
            res = y[okj] - A @ coef
            sig.append(_robust_sd(res) / math.sqrt(keep[j - 1]))
    sigma = float(np.median(sig)) if sig else DEFAULT_FIELD.leg_sigma
    # ability spread on an early checkpoint, whole field
    cover = np.isfinite(E).sum(axis=0) / n
    cand = [
        j for j in range(1, rows - 1) if cover[j] >= 0.85 and math.isfinite(W[j]) and W[j] > 0.2
    ]
    if not cand:
        cand = [rows - 1]
        notes.append("no early checkpoint passed by 85 % of the field: spread from the finish")
    js = min(cand, key=lambda j: abs(cfrac[j] - early_fraction))
    Wj = W[js] if math.isfinite(W[js]) else 1.0
    th = X[:, js] / Wj
    th = th[np.isfinite(th)]
    noise_var = sigma**2 * float(np.sum(r[1 : js + 1] ** 2) / np.sum(r[1 : js + 1]) ** 2) / Wj**2
    mu, spread_all, skew = _fit_ability(th)
    spread = math.sqrt(max(spread_all**2 - noise_var, 0.02**2))
    # the winner's finish over the median runner's: the fast tail's floor
    fastest = float(np.clip(math.exp(float(np.nanmin(theta_f)) - mu), 0.0, 1.0))
    # withdrawals
    # a runner stopped at a barrier he reached after its time is eliminated there, whatever
    # his status, as the simulation counts him: not a withdrawal
    cut = _as_rows(cutoff_elapsed, rows, "cutoff_elapsed")
    clock = E if off is None else E + off[:, None]
    timed_out = (st == OUT_OF_TIME) | (late_stops(clock, st, cutoff_elapsed=cut) >= 0)
    dnf = ~fin & ~timed_out & (st != FINISHER)
    dnf_share = float(dnf.mean())
    cand1 = [j for j in range(1, rows) if cover[j] >= 0.9 and cfrac[j] >= 0.1]
    j1 = cand1[0] if cand1 else 1
    kappa = 0.0
    h0, gamma = 0.0, FieldParams.behind_slope
    coefR = _behind_coef(R, np.where(np.isfinite(cut[1:]), cut[1:], np.inf))
    coefR2 = _behind_coef(R, np.where(np.isfinite(cut[1:]), cut[1:], np.inf), nth=2)
    h2, gamma2 = 0.0, FieldParams.ahead_slope
    h3, gamma3 = 0.0, FieldParams.foresight_slope
    if np.any(coefR > 0) and dnf.sum() >= 5:
        dnf_share, kappa, h0, gamma, h2, gamma2, h3, gamma3, gain3 = _fit_withdrawals(
            E, dnf, R, cut, cfrac, coefR, j1, coefR2 if ahead else None, foresight, clock
        )
        if math.isfinite(gain3):
            notes.append(
                f"foresight_hazard: log-likelihood gain {gain3:.1f} "
                + (f"> {AHEAD_MIN_GAIN:g}, kept" if h3 > 0 else f"<= {AHEAD_MIN_GAIN:g}, not kept")
            )
    else:
        if cutoff_elapsed is not None:
            why = (
                "no barrier before the finish"
                if not np.any(coefR > 0)
                else f"{int(dnf.sum())} withdrawals (< 5)"
            )
            notes.append(f"{why}: behind_hazard not fitted (0)")
        v = E[:, j1]
        okv = np.isfinite(v)
        if okv.sum() >= min_runners and dnf[okv].sum() >= 5 and dnf_share > 0:
            ranks = np.argsort(np.argsort(v[okv]))
            zs = ndtri((ranks + 0.5) / okv.sum())
            target = float(zs[dnf[okv]].mean())
            x, wts = np.polynomial.hermite_e.hermegauss(60)
            wts = wts / wts.sum()

            def mean_z(k):
                lam = _dnf_rate(dnf_share, k)
                p = 1 - np.exp(-lam * np.exp(k * x))
                return float(np.sum(wts * p * x) / np.sum(wts * p))

            lo, hi = -3.0, 3.0
            for _ in range(50):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if mean_z(mid) < target else (lo, mid)
            kappa = 0.5 * (lo + hi)
    chase = 0.0
    if np.any(coefR > 0):
        fitted, nlegs = _fit_chase(E, R, cut, coefR, min_runners=min_runners)
        if fitted is None:
            notes.append(f"{nlegs} legs run projected late (< 5): chase_share not fitted (0)")
        else:
            chase = fitted
    tail = 0.0
    if ease:
        wts = start_weights(r[1:], fatigue_weights(r, eff, fatigue=beta), mu, DEFAULT_FIELD)
        fit_p = replace(
            DEFAULT_FIELD,
            spread=min(spread, 2.0),
            skew=skew,
            leg_sigma=min(sigma, 2.0),
            fastest=fastest,
        )
        fitted, nlegs, ratio = _fit_tail_ease(E, R, cut, coefR, eff, fit_p, mu, wts, min_runners)
        if fitted is None:
            notes.append(f"{nlegs} late legs (< 2): tail_ease not fitted (0)")
        else:
            tail = fitted
            notes.append(f"tail_ease: slow/fast slope ratio on the late legs {ratio:.2f}")
    params = FieldParams(
        spread=float(min(spread, 2.0)),
        leg_sigma=float(min(sigma, 2.0)),
        fatigue=beta,
        dnf_share=float(min(dnf_share, 0.95)),
        dnf_ability=float(kappa),
        finish_share=float(np.clip(fin.mean(), 0.0, 1.0)),
        behind_hazard=float(min(h0, 100.0)),
        behind_slope=float(min(gamma, 200.0)),
        skew=float(skew),
        level_sd=DEFAULT_FIELD.level_sd,
        start_compression=DEFAULT_FIELD.start_compression,
        start_time_s=DEFAULT_FIELD.start_time_s,
        chase_share=chase,
        ahead_hazard=float(min(h2, 100.0)),
        ahead_slope=float(min(gamma2, 200.0)),
        foresight_hazard=float(min(h3, 100.0)),
        foresight_slope=float(min(gamma3, 200.0)),
        tail_ease=float(tail),
        fastest=fastest,
        source=source or "fit_field",
    )
    return FieldFit(
        params=params,
        ability_mean=mu,
        reference_elapsed=R,
        slopes=W,
        notes=tuple(notes),
        measured=good.copy(),
    )


START_GRID = np.round(np.linspace(0.0, 1.0, 101), 2)
"""Values of ``start_compression`` [-] tried by :func:`fit_start_compression`."""


def fit_start_compression(slopes, reference_elapsed, leg_weights, *, start_time_s=None) -> float:
    """``start_compression`` :math:`a` of one past race, against the weights it is simulated with.

    A runner's deviation from the median builds up over the race; the slope of a
    checkpoint's log time ratio on the finish's (:attr:`FieldFit.slopes`, :math:`W_j`)
    measures how much of it is there. The simulation's cumulative weight at row ``j``
    (:class:`FieldParams`, linearised in the log of the arrival time) is

    .. math:: M_j(a) = \\frac{\\sum_{k \\le j} r_k w_k h_k}{\\sum_{k \\le j} r_k},
              \\qquad h_k = 1 - a \\exp(-\\tau_k / \\tau_0)

    with :math:`r_k` the median finisher's leg times, :math:`\\tau_k` his elapsed time at
    the middle of leg ``k`` and :math:`w_k` the leg weights the simulation uses (for
    :func:`coursekit.event.history_race`, :func:`pace_weights` of the pace-model runner
    on the same course). :math:`a` minimises

    .. math:: \\sum_j \\left(\\frac{W_j}{W_J} - \\frac{M_j(a)}{M_J(a)}\\right)^2

    over the rows with a measured slope but the start and the finish (``J`` the last of
    them: the finish time's own noise scales every slope), on :data:`START_GRID`;
    :math:`\\tau_0` stays one value for every race (``start_time_s``).

    Parameters
    ----------
    slopes : array_like, shape (rows,)
        :math:`W_j` (:attr:`FieldFit.slopes`), NaN where not measured [-].
    reference_elapsed : array_like, shape (rows,)
        The median finisher's passages, 0 at the start (:attr:`FieldFit.reference_elapsed`) [s].
    leg_weights : array_like, shape (rows - 1,)
        :math:`w_k` of legs 1..rows-1 [-].
    start_time_s : float, optional
        :math:`\\tau_0` [s]; default :data:`DEFAULT_FIELD`'s.

    Returns
    -------
    float
        :math:`a` in [0, 1]; :data:`DEFAULT_FIELD`'s when fewer than 2 rows have a
        measured slope.
    """
    tau0 = float(DEFAULT_FIELD.start_time_s if start_time_s is None else start_time_s)
    W = np.asarray(slopes, float).reshape(-1)
    R = np.asarray(reference_elapsed, float).reshape(-1)
    w = np.asarray(leg_weights, float).reshape(-1)
    if R.shape != W.shape or w.shape != (W.size - 1,):
        raise ValueError("slopes, reference_elapsed (rows) and leg_weights (rows - 1) disagree")
    ok = np.isfinite(W)
    ok[0] = ok[-1] = False
    if ok.sum() < 2:
        return float(DEFAULT_FIELD.start_compression)
    rows = np.nonzero(ok)[0]
    last = rows[-1]
    r = np.maximum(np.diff(R), 1.0)
    tau = np.cumsum(r) - r / 2
    h = 1.0 - START_GRID[:, None] * np.exp(-tau / tau0)[None, :]
    M = np.cumsum(r * w * h, axis=1) / np.cumsum(r)
    M = M[:, rows - 1] / M[:, [last - 1]]
    loss = np.sum((W[rows] / W[last] - M) ** 2, axis=1)
    return float(START_GRID[int(np.argmin(loss))])


def fit_reference_fatigue(median_elapsed, measured, runner, *, grid=None):
    """Fatigue rate of the pace model that best reproduces a past median finisher.

    Parameters
    ----------
    median_elapsed : array_like, shape (rows,)
        The median finisher's passage per checkpoint row [s from start].
    measured : array_like of bool, shape (rows,)
        Rows where that passage was measured (not interpolated).
    runner : callable
        ``runner(finish_s, fatigue) -> (arrival, leader, v0)``, e.g.
        :func:`coursekit.cutoffs.plan_runner`.
    grid : array_like, optional
        Fatigue rates tried [per 100 km-effort]; default 0 to 1 step 0.02.

    Returns
    -------
    fatigue : float
    arrival, leader : ndarray
        The fitted runner (finishing with the median finisher) and its leader.

    Notes
    -----
    Grid search on the mean of :math:`\\ln(M_j / A_j(f))^2` over the measured
    rows, where :math:`A(f)` finishes at :math:`M_{\\mathrm{finish}}`. One
    parameter, so it transfers: the shape of the median finisher's race
    (how much he slows down) on this course's profile.
    """
    med = np.asarray(median_elapsed, float)
    ok = np.asarray(measured, bool) & np.isfinite(med) & (med > 0)
    ok[0] = False
    if grid is None:
        grid = np.round(np.arange(0.0, 1.0001, 0.02), 3)
    best = None
    for f in grid:
        arr, lead, _ = runner(float(med[-1]), float(f))
        e = float(np.mean(np.log(med[ok] / arr[ok]) ** 2)) if ok.any() else 0.0
        if best is None or e < best[0]:
            best = (e, float(f), arr, lead)
    return best[1], best[2], best[3]
