"""Which foot touches the floor when: per-foot contact with hysteresis on height and speed.

A foot joint (SMPL-22 ``*_foot``, the ball of the foot) enters contact when it is low (below
``on_height_m`` above the floor) and slow: below ``on_speed_m_s``, or clearly slower than the other foot
(``slower`` times its speed; monocular pose estimates of distant walkers underestimate the leg swing, so
the planted foot seems to glide along with the body, but it still moves less than the swinging one). It
leaves contact only when it is clearly high (above ``off_height_m``) or clearly moving (above
``off_speed_m_s`` and not slower than the other foot): two thresholds per quantity, so noise of a few
centimetres around one threshold does not flicker the state.
Support: a body that is not in the air stands on something. In a frame where neither foot is in contact
but the lower one is low (below ``support_height_m``), the slower of the two feet is taken as the
supporting one (a walk always has a foot down; only a clear flight, both feet high, has none).
Contacts shorter than ``min_contact_s`` are dropped and gaps shorter than ``bridge_s`` between two
contacts of the same foot are closed (a heel-strike wobble is not a step). Heights are above y = 0
(see :mod:`.floor`); speeds are from positions smoothed over ``smooth_s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ...config import Config
from ...skeleton import SMPL22, Skeleton
from .floor import foot_indices, horizontal_speed


@dataclass(frozen=True)
class ContactConfig(Config):
    on_height_m: float = 0.06
    off_height_m: float = 0.12
    on_speed_m_s: float = 0.6
    off_speed_m_s: float = 1.2
    slower: float = 0.6  # enter: this fraction of the other foot's speed counts as slow
    support_height_m: float = 0.08  # support rule: the lower foot is below this
    min_contact_s: float = 0.1
    bridge_s: float = 0.1
    smooth_s: float = 0.05


def runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) ranges where a 1D boolean mask is true."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def hysteresis(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(T,) state: switches on where ``low`` (enter condition) holds and off where ``high`` (leave) holds."""
    out = np.zeros(len(low), dtype=bool)
    state = False
    for t in range(len(low)):
        if state and high[t]:
            state = False
        elif not state and low[t]:
            state = True
        out[t] = state
    return out


def _tidy(c: np.ndarray, min_len: int, bridge: int) -> np.ndarray:
    c = c.copy()
    for a, b in runs_of(~c):  # close short gaps between contacts
        if a > 0 and b < len(c) and b - a <= bridge:
            c[a:b] = True
    for a, b in runs_of(c):
        if b - a < min_len:
            c[a:b] = False
    return c


def foot_contacts(joints: np.ndarray, fps: float, config: ContactConfig = ContactConfig(),
                  skeleton: Skeleton = SMPL22, *, support: bool = True) -> np.ndarray:
    """(T, J, 3) joints (floor at y = 0) -> (T, 2) bool contact of the left and right foot (``support``:
    apply the support rule; off to read flight phases as measured)."""
    j = np.asarray(joints, dtype=np.float64)
    sigma = config.smooth_s * fps
    out = np.zeros((len(j), 2), dtype=bool)
    toes = [toe for _, toe in foot_indices(skeleton)]
    p = gaussian_filter1d(j[:, toes], sigma, axis=0, mode="nearest") if sigma > 0 and len(j) > 1 else j[:, toes]
    v = horizontal_speed(p, fps)  # (T, 2)
    heights = []
    for s, (ankle, _) in enumerate(foot_indices(skeleton)):
        h = np.minimum(p[:, s, 1], j[:, ankle, 1] - 0.05)  # a flat foot: ankle ~7 cm above its ball
        mine, other = v[:, s], v[:, 1 - s]
        slow = (mine < config.on_speed_m_s) | (mine < config.slower * other)
        moving = (mine > config.off_speed_m_s) & (mine > 0.9 * other)
        state = hysteresis((h < config.on_height_m) & slow, (h > config.off_height_m) | moving)
        out[:, s] = state
        heights.append(h)
    h = np.stack(heights, axis=1)
    unsupported = ~out.any(axis=1) & (h.min(axis=1) < config.support_height_m) if support else np.zeros(len(j), bool)
    slower = np.argmin(v, axis=1)
    out[unsupported, slower[unsupported]] = True
    for s in range(2):
        out[:, s] = _tidy(out[:, s], max(1, int(round(config.min_contact_s * fps))),
                          int(round(config.bridge_s * fps)))
    return out


def flight_episodes(contacts: np.ndarray, min_frames: int) -> list[tuple[int, int]]:
    """[start, stop) ranges with both feet off the floor for at least ``min_frames`` frames, not at the clip's
    ends (a clip starting or ending mid-air says nothing about flight between steps)."""
    air = ~np.asarray(contacts, dtype=bool).any(axis=1)
    return [(a, b) for a, b in runs_of(air) if b - a >= min_frames and a > 0 and b < len(air)]


def count_steps(contacts: np.ndarray) -> int:
    """Foot strikes: contacts of either foot that start after the clip's first frame."""
    return sum(1 for s in range(contacts.shape[1]) for a, _ in runs_of(contacts[:, s]) if a > 0)
