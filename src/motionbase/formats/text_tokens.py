"""Part-of-speech tokens of captions, as HumanML3D writes them (``a/DET man/NOUN kick/VERB ...``).

HumanML3D tags each caption with spaCy (``en_core_web_sm``) and keeps, for every token that is
purely alphabetic, ``word/POS`` with the Universal POS tag (NOUN, VERB, ADJ, ADV, ADP, AUX, DET,
PRON, NUM, CCONJ, SCONJ, PART, PROPN, INTJ, X); NOUN and VERB tokens are replaced by their lemma
except the word "left"; hyphens are removed from the caption first ("full-body" -> "fullbody").
The text-to-motion evaluator reads these tokens (word vectors + POS one-hots), so they matter.

Three taggers produce the ``(text, pos, lemma)`` analyses that those rules are applied to:

- ``"spacy"``: spaCy with ``en_core_web_sm`` (what HumanML3D used), when both are installed;
- ``"nltk"``: NLTK's perceptron tagger, when nltk and its tagger data are installed; Penn tags are
  mapped to Universal tags the way spaCy maps them, lemmas come from WordNet when its data is there,
  else from the rules below;
- ``"rules"`` (the fallback, always there): a small built-in lexicon of the motion-caption
  vocabulary (closed-class words, body parts, motion verbs, irregular forms), suffix rules for
  unknown words (-ly ADV, -ing/-ed VERB, -tion/-ment/... NOUN, -al/-ful/-ous/... ADJ, else NOUN)
  and a few context rules: a noun/verb word after a determiner, adjective or numeral is a NOUN,
  after a subject (noun/pronoun), "to", an auxiliary, a conjunction or an adverb it is a VERB,
  right after a verb it is a NOUN ("flying kick"); "left"/"right" are ADJ before a noun, NOUN
  after a determiner ("to the left"), ADV after a verb ("turns left"); "to" before a verb is
  PART. It reproduces HumanML3D's tokens on tests/data/humanml3d/texts/000000.txt exactly; on
  unusual sentences it is a heuristic and will disagree with spaCy now and then.

:func:`get_tagger` (``"auto"``) picks the first of those that is installed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

from ..errors import MotionbaseError

UPOS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
        "PUNCT", "SCONJ", "SYM", "VERB", "X", "OTHER")
"""Universal POS tags (and ``OTHER``, used by the T2M evaluator for its sos/eos/unk tokens)."""

Analysis = list[tuple[str, str, str]]  # (token text, Universal POS, lemma)


class PosTagger(Protocol):
    name: str

    def analyse(self, sentence: str) -> Analysis:
        """Tokens of ``sentence`` (punctuation included) as (text, UPOS, lemma)."""
        ...


# --------------------------------------------------------------------------------------------
# The HumanML3D conventions, applied to any tagger's analysis.

def tag_caption(caption: str, tagger: PosTagger | None = None) -> list[tuple[str, str]]:
    """``(word, POS)`` pairs of ``caption`` with HumanML3D's rules (see the module docstring)."""
    analysis = (tagger or get_tagger()).analyse(caption.replace("-", ""))
    return [(lemma.lower() if pos in ("NOUN", "VERB") and text != "left" else text, pos)
            for text, pos, lemma in analysis if text.isalpha()]


def format_tokens(pairs: list[tuple[str, str]]) -> str:
    """``[("a", "DET"), ("man", "NOUN")]`` -> ``"a/DET man/NOUN"``."""
    return " ".join(f"{w}/{p}" for w, p in pairs)


def parse_tokens(tokens: str) -> list[tuple[str, str]]:
    """``"a/DET man/NOUN"`` -> ``[("a", "DET"), ("man", "NOUN")]``; raises ValueError on a token without ``/POS``."""
    pairs = []
    for tok in tokens.split():
        word, sep, pos = tok.rpartition("/")
        if not sep or not word or not pos:
            raise ValueError(f"token {tok!r} is not word/POS")
        pairs.append((word, pos))
    return pairs


def caption_tokens(caption: str, tagger: PosTagger | None = None) -> str:
    """The token field of a HumanML3D text line for ``caption``."""
    return format_tokens(tag_caption(caption, tagger))


# --------------------------------------------------------------------------------------------
# Taggers.

class SpacyTagger:
    """spaCy (HumanML3D's own tagger). ``model``: an installed pipeline name."""

    name = "spacy"

    def __init__(self, model: str = "en_core_web_sm"):
        import spacy

        self.nlp = spacy.load(model)

    def analyse(self, sentence: str) -> Analysis:
        return [(t.text, t.pos_, t.lemma_) for t in self.nlp(sentence)]


# Penn Treebank -> Universal POS, as spaCy's English tag map does it.
PENN_TO_UPOS = {
    "CC": "CCONJ", "CD": "NUM", "DT": "DET", "EX": "PRON", "FW": "X", "IN": "ADP", "JJ": "ADJ",
    "JJR": "ADJ", "JJS": "ADJ", "LS": "X", "MD": "AUX", "NN": "NOUN", "NNS": "NOUN", "NNP": "PROPN",
    "NNPS": "PROPN", "PDT": "DET", "POS": "PART", "PRP": "PRON", "PRP$": "DET", "RB": "ADV",
    "RBR": "ADV", "RBS": "ADV", "RP": "ADP", "SYM": "SYM", "TO": "PART", "UH": "INTJ", "VB": "VERB",
    "VBD": "VERB", "VBG": "VERB", "VBN": "VERB", "VBP": "VERB", "VBZ": "VERB", "WDT": "DET",
    "WP": "PRON", "WP$": "DET", "WRB": "ADV",
}


class NltkTagger:
    """NLTK's averaged perceptron tagger with Penn -> Universal mapping (needs nltk's tagger data)."""

    name = "nltk"

    def __init__(self):
        import nltk

        nltk.pos_tag(["a", "test"])  # raises LookupError when the tagger data is not installed
        self._nltk = nltk
        try:
            from nltk.stem import WordNetLemmatizer

            self._wn = WordNetLemmatizer()
            self._wn.lemmatize("walks", "v")
        except LookupError:
            self._wn = None

    def analyse(self, sentence: str) -> Analysis:
        words = tokenize(sentence)
        out = []
        for word, penn in self._nltk.pos_tag(words):
            low = word.lower()
            pos = "AUX" if low in _AUX_BE else PENN_TO_UPOS.get(penn, "X" if word.isalpha() else "PUNCT")
            if pos in ("NOUN", "VERB"):
                lemma = self._wn.lemmatize(low, "v" if pos == "VERB" else "n") if self._wn else \
                    lemmatize(low, pos)
            else:
                lemma = low
            out.append((word, pos, lemma))
        return out


class RuleTagger:
    """The built-in fallback: lexicon + suffix rules + context rules (see the module docstring)."""

    name = "rules"

    def analyse(self, sentence: str) -> Analysis:
        words = tokenize(sentence)
        low = [w.lower() for w in words]
        cands = [_candidates(w) for w in low]
        tags: list[str] = []
        for i, w in enumerate(low):
            tags.append(_resolve(i, w, low, cands, tags))
        return [(words[i], tags[i], lemmatize(low[i], tags[i])) for i in range(len(words))]


TAGGERS = {"spacy": SpacyTagger, "nltk": NltkTagger, "rules": RuleTagger}


@lru_cache(maxsize=None)
def get_tagger(prefer: str = "auto") -> PosTagger:
    """A tagger by name (``"spacy"``, ``"nltk"``, ``"rules"``) or the first one installed (``"auto"``).

    Raises :class:`MotionbaseError` when a named tagger is not installed.
    """
    if prefer != "auto":
        if prefer not in TAGGERS:
            raise MotionbaseError(f"unknown tagger {prefer!r}; expected one of auto, {', '.join(TAGGERS)}")
        try:
            return TAGGERS[prefer]()
        except (ImportError, LookupError, OSError) as exc:
            raise MotionbaseError(f"tagger {prefer!r} is not installed: {exc}".splitlines()[0]) from None
    for cls in (SpacyTagger, NltkTagger):
        try:
            return cls()
        except (ImportError, LookupError, OSError):
            continue
    return RuleTagger()


# --------------------------------------------------------------------------------------------
# Tokenisation, as spaCy splits English captions (clitics apart, punctuation apart).

_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?|[^\sA-Za-z0-9]")
_CLITIC = re.compile(r"(?i)^(.+?)(n't|'s|'re|'ll|'ve|'m|'d)$")


def tokenize(sentence: str) -> list[str]:
    """Words, clitics (``n't``, ``'s`` ...) and punctuation marks as separate tokens."""
    out = []
    for tok in _WORD.findall(sentence):
        m = _CLITIC.match(tok)
        out.extend(m.groups() if m else (tok,))
    return out


# --------------------------------------------------------------------------------------------
# The rule tagger's lexicon: the vocabulary of motion captions.

def _words(s: str) -> frozenset[str]:
    return frozenset(s.split())


_CLOSED = {
    "DET": _words("a an the this these those his her their its my your our each every some any another "
                  "both all no either neither whose which what"),
    "PRON": _words("he she it they them him i me we us you someone something somebody anyone anything "
                   "anybody everyone everything everybody nothing nobody himself herself themselves itself "
                   "themself yourself myself who whom whoever"),
    "ADP": _words("with in on at of from into onto upon over under above below beneath behind between "
                  "through across along against toward towards near by for about without within before "
                  "after during until till past beside besides like among around throughout via per"),
    "CCONJ": _words("and or but nor"),
    "SCONJ": _words("while if because though although whereas unless whether as that so"),
    "AUX": _words("is are was were be been being am can could will would should may might must shall "
                  "ca wo"),
    "PART": _words("not n't 's to"),
    "NUM": _words("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                  "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty hundred "
                  "thousand"),
    "ADV": _words("back forward forwards backward backwards sideways sideward sidewards away again then "
                  "together also still just very too once twice thrice here there now almost quite "
                  "rather upward upwards downward downwards outward outwards inward inwards ahead "
                  "apart aside overhead clockwise counterclockwise anticlockwise straight instead "
                  "forth afterwards further far fast even only ever never always already soon later "
                  "when where how why slightly up down out off home more less most least else "
                  "alternately altogether"),
    "ADJ": _words("other same small big large little high low long short wide narrow quick slow "
                  "several many few much upper lower front rear full whole entire open different "
                  "next last first second third fourth final initial original normal regular tall "
                  "heavy light strong weak tired happy sad angry drunk careful flat steady tight loose "
                  "deep hard soft slight various huge tiny ready able free empty imaginary invisible "
                  "single double good bad new old young great certain own same such overall "
                  "diagonal vertical horizontal circular lateral frontal opposite alternate"),
    "INTJ": _words("oh hey wow yes"),
}
_AUX_BE = _words("is are was were be been being am")
_DO = _words("do does did")
_HAVE = _words("have has had")
_SUBJECT_PRON = _words("he she it they i we you someone somebody anyone everyone everybody nobody who")

# Base forms; a word in both sets is resolved by context.
_VERBS = _words("""
walk run jog sprint jump hop skip leap kick punch hit strike throw catch toss swing wave raise lift
lower drop bend stretch reach extend sit stand squat crouch kneel lie lay fall trip stumble slip slide
roll crawl climb step stomp march pace shuffle limp stagger sneak tiptoe waddle dance spin turn rotate
twist pivot circle swivel move shift lean tilt nod shake clap point touch tap rub scratch wipe brush
wash hold grab grasp pick take put place set push pull carry drag hand give bring open close look
watch face glance go come get start begin stop continue keep finish return repeat perform do make use
try play practice mimic pretend imitate act fly flap bounce swim paddle row ski skate ride drive cross
uncross fold unfold flex pump shrug bow salute hug cheer celebrate land balance sway rock flail swat
block dodge duck guard box fight spar shoot aim pour drink eat stir sweep mop clean dig chop cut saw
hammer knock hunch slouch straighten rise recover prepare wait pause rest relax breathe stay remain
trot gallop sidestep somersault cartwheel flip tumble lunge wind unwind conduct signal gesture mime
sing talk yell call speak dribble pass serve pitch bowl putt juggle zigzag stride swipe slap smack
appear seem want need leave enter exit approach follow lead avoid curl spread press squeeze release
let support grip wiggle shimmy jiggle shiver tremble twirl whirl alternate switch change cover hide
search check test hover float sink settle hurl fling lob shove stop see hear feel think sweep bump
brace plant flick jab hook uppercut crank reel row hang clasp cup clench stamp drum beat twerk sidestep
tap wobble steady lurch lunge hobble skid tread trudge stroll wander glide stride slither scoot
""")
_NOUNS = _words("""
person man woman human figure body head neck shoulder arm elbow wrist hand finger thumb chest torso
back waist hip leg thigh knee shin ankle foot toe heel side direction front position stance pose
posture ground floor ball object chair table wall door stair step circle line air motion movement way
time pace speed distance degree place spot area room top bottom middle center centre mouth face eye
ear hair nose lap palm fist rope bag box cup glass bottle phone racket bat stick sword gun guitar
violin drum instrument weight bar ladder beam bench bed couch seat car bike horse dog animal boxer
dancer player kid child baby dance exercise routine squat lunge pushup situp jack punch kick jump walk
run turn spin wave bow hop skip stretch twist swing throw hit fall crawl move gesture sign signal
pattern shape manner rhythm beat song music game sport tennis golf baseball basketball football soccer
volleyball yoga karate art fight shield flag cartwheel handstand somersault backflip flip roll salute
clap stride jog sprint march gait limp balance surface obstacle edge corner path road street hill
slope item thing stuff window hole pole target opponent partner friend rest lean crouch cross press
curl lift drop circle zigzag loop round set rep start end beginning half quarter stomach belly
forearm upperarm calf butt rear pelvis spine skip bounce slide trot stand sit step shuffle kneel
""")
_IRREGULAR_VERBS = {
    "went": "go", "gone": "go", "ran": "run", "sat": "sit", "stood": "stand", "took": "take",
    "taken": "take", "threw": "throw", "thrown": "throw", "caught": "catch", "fell": "fall",
    "fallen": "fall", "held": "hold", "got": "get", "gotten": "get", "began": "begin", "begun": "begin",
    "rose": "rise", "risen": "rise", "spun": "spin", "swung": "swing", "struck": "strike", "lay": "lie",
    "lain": "lie", "lying": "lie", "knelt": "kneel", "brought": "bring", "did": "do", "done": "do",
    "does": "do", "made": "make", "flew": "fly", "flown": "fly", "led": "lead", "came": "come",
    "gave": "give", "given": "give", "saw": "see", "seen": "see", "bent": "bend", "leapt": "leap",
    "crept": "creep", "swam": "swim", "slid": "slide", "hung": "hang", "shook": "shake",
    "shaken": "shake", "drew": "draw", "drawn": "draw", "wound": "wind", "rode": "ride",
    "ridden": "ride", "drove": "drive", "driven": "drive", "kept": "keep", "stuck": "stick",
    "dug": "dig", "swept": "sweep", "has": "have", "had": "have", "felt": "feel", "left": "leave",
    "goes": "go", "dies": "die", "lies": "lie", "ties": "tie", "trod": "tread", "stridden": "stride",
    "strode": "stride", "spat": "spit", "sprang": "spring", "sprung": "spring", "stepped": "step",
}
_IRREGULAR_NOUNS = {"feet": "foot", "teeth": "tooth", "men": "man", "women": "woman",
                    "children": "child", "knives": "knife", "halves": "half", "calves": "calf",
                    "people": "people", "stairs": "stair"}
_NOUN_SUFFIXES = ("tion", "sion", "ment", "ness", "ance", "ence", "ity", "ship", "hood", "ism", "ist")
_ADJ_SUFFIXES = ("al", "ful", "ous", "ive", "able", "ible", "ic", "less", "ish", "ular", "ary")
_SIDES = _words("left right")
_ADV_BEFORE_NOUN_IS_ADJ = _words("straight fast clockwise counterclockwise anticlockwise backward forward "
                                 "sideways upward downward outward inward overhead")
_NOMINAL = frozenset({"DET", "ADJ", "NUM"})


def _verb_base(w: str) -> str | None:
    """The base form of an inflected verb (-s, -ing, -ed), or None when ``w`` does not look inflected."""
    if w in _IRREGULAR_VERBS:
        return _IRREGULAR_VERBS[w]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) > len(suffix) + 1:
            stem = w[: -len(suffix)]
            options = [stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else None,
                       stem[:-1] + "y" if suffix == "ed" and stem.endswith("i") else None]
            for opt in options:
                if opt and opt in _VERBS:
                    return opt
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                return stem[:-1]
            if stem.endswith(("v", "c", "z", "at", "os", "us", "as", "dg", "iz")):
                return stem + "e"
            return stem
    return None


def _plural_base(w: str) -> str | None:
    """The singular / base of a word ending in -s, or None."""
    if w in _IRREGULAR_NOUNS:
        return _IRREGULAR_NOUNS[w]
    if not w.endswith("s") or w.endswith(("ss", "us")) or len(w) < 3:
        return None
    options = [w[:-3] + "y" if w.endswith("ies") else None, w[:-2] if w.endswith("es") else None, w[:-1]]
    for opt in options:
        if opt in _VERBS or opt in _NOUNS:
            return opt
    if w.endswith("ies"):
        return w[:-3] + "y"
    return w[:-2] if w.endswith(("ches", "shes", "xes", "sses", "zes")) else w[:-1]


def lemmatize(w: str, pos: str) -> str:
    """Lemma of a lower-case word tagged NOUN or VERB (other words are returned unchanged)."""
    if pos == "VERB":
        if w in _VERBS:
            return w
        return "be" if w in _AUX_BE else _verb_base(w) or _plural_base(w) or w
    if pos == "NOUN":
        return w if w in _NOUNS else _plural_base(w) or w
    return w


def _candidates(w: str) -> frozenset[str]:
    """Every tag the lexicon and suffix rules allow for a lower-case word."""
    if not w[:1].isalpha():
        return frozenset({"PUNCT" if not w[:1].isdigit() else "NUM"})
    if w in _SIDES:
        return frozenset({"ADJ", "NOUN", "ADV"})
    for tag, words in _CLOSED.items():
        if w in words:
            return frozenset({tag})
    if w in _DO or w in _HAVE:
        return frozenset({"AUX", "VERB"})
    if w in _IRREGULAR_VERBS:
        return frozenset({"VERB"})
    if w in _VERBS or w in _NOUNS:
        return frozenset(({"VERB"} if w in _VERBS else set()) | ({"NOUN"} if w in _NOUNS else set()))
    if w.endswith("ly") and len(w) > 4:
        return frozenset({"ADV"})
    if w.endswith(("ing", "ed")) and len(w) > 4 and not w.endswith(("thing", "ceiling", "ring")):
        return frozenset({"VERB"})
    base = _plural_base(w)
    if base is not None:
        cand = ({"VERB"} if base in _VERBS else set()) | ({"NOUN"} if base in _NOUNS else set())
        return frozenset(cand or {"NOUN", "VERB"})
    if w.endswith(_NOUN_SUFFIXES):
        return frozenset({"NOUN"})
    if w.endswith(_ADJ_SUFFIXES):
        return frozenset({"ADJ"})
    return frozenset({"NOUN"})


def _next_word(i: int, low: list[str]) -> str:
    return low[i + 1] if i + 1 < len(low) else ""


def _resolve(i: int, w: str, low: list[str], cands: list[frozenset[str]], tags: list[str]) -> str:
    """The tag of word ``i`` given the tags already chosen to its left and the candidates to its right."""
    c = cands[i]
    prev = tags[i - 1] if i else ""
    prev_w = low[i - 1] if i else ""
    nxt, nxt_c = _next_word(i, low), (cands[i + 1] if i + 1 < len(low) else frozenset())
    if len(c) == 1:
        (tag,) = c
        if w == "to":
            return "PART" if "VERB" in nxt_c and not _plural_base(nxt) and "DET" not in nxt_c else "ADP"
        if w == "her":
            return "DET" if nxt_c & {"NOUN", "ADJ"} else "PRON"
        if w == "that":
            return "DET" if "NOUN" in nxt_c else "PRON" if prev == "NOUN" else "SCONJ"
        if tag == "ADV" and w in ("up", "down", "out", "off") and (prev in ("VERB", "PRON") or nxt_c & {"DET", "NOUN", "PRON"}):
            return "ADP"
        if tag == "ADP" and w in ("around", "about", "along") and not nxt_c & {"DET", "NOUN", "PRON", "NUM"}:
            return "ADV"
        if tag == "ADV" and w in _ADV_BEFORE_NOUN_IS_ADJ and (nxt_c == {"NOUN"} or (prev in _NOMINAL and "NOUN" in nxt_c)):
            return "ADJ"
        if w == "back" and prev in ("DET", "ADJ"):
            return "NOUN"
        return tag
    if w in _SIDES:
        if nxt_c & {"NOUN", "ADJ"} and nxt not in _SIDES:
            return "ADJ"
        if prev in ("DET", "ADP"):
            return "NOUN"
        if prev == "CCONJ" and i >= 2 and low[i - 2] in _SIDES:
            return tags[i - 2]
        return "ADV" if prev in ("VERB", "ADV", "AUX") else "ADJ"
    if w in _DO or w in _HAVE:
        if nxt in ("not", "n't") or (w in _HAVE and (nxt == "been" or (nxt.endswith(("ed", "en")) and nxt not in _NOUNS))):
            return "AUX"
        return "VERB"
    # a word that is both a noun and a verb
    if prev in _NOMINAL or prev_w in ("'s",):
        return "NOUN"
    if prev in ("PART", "AUX", "CCONJ", "SCONJ", "ADV", "PRON", "PUNCT") or prev_w in _SUBJECT_PRON:
        return "VERB"
    if prev == "NOUN":
        return "VERB"
    if prev in ("VERB", "ADP"):
        return "NOUN"
    return "VERB" if i == 0 else "NOUN"
