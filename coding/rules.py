"""Codebook rules: find every concept's labels in free text, with the matched span as evidence.

Each code's prefLabel, altLabels and hiddenLabels are lemmatised (simplemma) and
case-folded, then matched all at once (Aho-Corasick over the lemmatised text), so
"campaigns" finds the label "campaigning" and "Human Rights Education" finds
"human rights educations". Words one or two letters off a label word (rapidfuzz) count as
that word: "advocasy" is "advocacy". A match right after a negation ("no", "not",
"without" ... within three words) is not coded.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from itertools import accumulate, islice
from dataclasses import dataclass, field



def code_kinds():
    """The node kinds that are codes (what MENTIONS and PROPOSES point to), from the schema."""
    from consultgraph.graph.model import codeable_kinds

    return codeable_kinds()

_WORD = re.compile(r"\w+(?:['\u2019]\w+)*", re.UNICODE)
NEGATIONS = {
    "en": {"no", "not", "never", "without", "nor", "neither", "cannot", "don't", "doesn't", "didn't", "isn't",
           "aren't", "won't", "shouldn't", "against"},
    "fr": {"ne", "pas", "jamais", "sans", "aucun", "aucune"},
    "de": {"nicht", "kein", "keine", "keinen", "ohne", "nie"},
    "es": {"no", "nunca", "sin", "ningún", "ninguna"},
}
NEGATION_WINDOW = 3
_CLAUSE_END = re.compile(r"[.,;:!?()\u3002\uff0c]")
_CLAUSE_WORDS = {"but", "however", "although", "though", "yet", "mais", "aber", "pero"}


@dataclass(frozen=True)
class Match:
    """One coded span: the concept, where it stands in the text, and how it was found."""

    concept: str
    start: int
    end: int
    label: str
    fuzzy: bool = False


@dataclass
class Codebook:
    """The labels to look for, lemmatised, and a hash that names this version of the codebook."""

    concepts: dict  # concept id -> tuple of labels as written
    language: str = "en"
    patterns: dict = field(default_factory=dict)  # " lemma lemma " -> [(concept, label)]
    label_words: frozenset = frozenset()

    @property
    def hash(self):
        """A short stable digest of the codes and their labels (part of the coder's name)."""
        digest = hashlib.sha256()
        for concept in sorted(self.concepts):
            digest.update(concept.encode())
            for label in sorted(self.concepts[concept]):
                digest.update(b"\x1f" + label.encode())
        digest.update(self.language.encode())
        return digest.hexdigest()[:10]

    @property
    def coder(self):
        """The coder name of codings found by these rules: ``machine:rules@<hash>``."""
        return f"machine:rules@{self.hash}"


class Lemmatiser:
    """Case-folds and lemmatises words, once per distinct word (texts repeat words a lot)."""

    def __init__(self, language="en"):
        self.language = language
        self._cache = {}

    def __call__(self, word):
        lemma = self._cache.get(word)
        if lemma is None:
            import simplemma

            folded = word.casefold().replace("\u2019", "'")
            try:
                lemma = simplemma.lemmatize(folded, lang=self.language).casefold()
            except ValueError:  # a language simplemma does not know: case-folding only
                lemma = folded
            self._cache[word] = lemma
        return lemma


def build_codebook(concepts, language="en"):
    """A :class:`Codebook` from ``{concept id: labels}``.

    Examples
    --------
    >>> book = build_codebook({"tactic/advocacy": ("Advocacy",), "tactic/hre": ("Human rights education", "HRE")})
    >>> sorted(book.patterns)
    [' advocacy ', ' hre ', ' human right education ']
    """
    lemma = Lemmatiser(language)
    book = Codebook(concepts={k: tuple(v) for k, v in concepts.items()}, language=language)
    words = set()
    for concept, labels in sorted(book.concepts.items()):
        for label in labels:
            tokens = [lemma(w) for w in _WORD.findall(str(label))]
            if not tokens:
                continue
            key = " " + " ".join(tokens) + " "
            entries = book.patterns.setdefault(key, [])
            if (concept, label) not in entries:
                entries.append((concept, label))
            words.update(tokens)
    book.label_words = frozenset(words)
    return book


def codebook_of(graph, question=None, language="en"):
    """The codebook of a project: every code concept in the graph with its labels.

    The concepts are the project's own code nodes (built-in schemes count once they are
    in the project); labels are prefLabel, altLabels and hiddenLabels.
    """
    concepts = graph.concepts
    present = graph.nodes.loc[graph.nodes["kind"].isin(code_kinds()), "id"]
    labels = {}
    for concept_id in sorted(present):
        if concept_id not in concepts:
            continue
        concept = concepts[concept_id]
        labels[concept_id] = tuple(dict.fromkeys((concept.label, *concept.alt_labels, *concept.hidden_labels)))
    return build_codebook(labels, language)


class Matcher:
    """Finds a codebook's labels in texts: one automaton, one lemma cache, shared by all texts."""

    def __init__(self, codebook, fuzzy=True):
        import ahocorasick

        self.codebook = codebook
        self.lemma = Lemmatiser(codebook.language)
        self.negations = NEGATIONS.get(codebook.language, set())
        self.fuzzy = fuzzy
        self._typo = {}
        self._words = {}
        self.automaton = ahocorasick.Automaton()
        for key, entries in codebook.patterns.items():
            self.automaton.add_word(key, (key, entries))
        if codebook.patterns:
            self.automaton.make_automaton()

    def _normal(self, word):
        """``(lemma or the label word it is a typo of, whether a typo)``, once per distinct word."""
        found = self._words.get(word)
        if found is None:
            found = self._words[word] = self._normalise(word)
        return found

    def _normalise(self, word):
        lemma = self.lemma(word)
        if not self.fuzzy or lemma in self.codebook.label_words or len(lemma) < 5 or lemma.isdigit():
            return lemma, False
        if lemma not in self._typo:
            from rapidfuzz import fuzz, process

            best = process.extractOne(lemma, self.codebook.label_words, scorer=fuzz.ratio, score_cutoff=85)
            # a typo keeps its first letter and its length within one
            ok = best is not None and best[0][0] == lemma[0] and abs(len(best[0]) - len(lemma)) <= 1
            self._typo[lemma] = best[0] if ok else None
        typo = self._typo[lemma]
        return (typo, True) if typo else (lemma, False)

    def _negated(self, text, words, normal, first):
        """A negation word within three words before ``first``, in the same clause."""
        for i in range(first - 1, max(-1, first - 1 - NEGATION_WINDOW), -1):
            if _CLAUSE_END.search(text, words[i][1], words[i + 1][0]) or normal[i][0] in _CLAUSE_WORDS:
                return False
            word = normal[i][0]
            if word in self.negations or word.endswith("n't"):
                return True
        return False

    def matches(self, text):
        """The :class:`Match` es of one text, in order, longest label first where they overlap."""
        if not self.codebook.patterns or not text:
            return []
        get = self._words.get
        normal = [get(w) or self._normal(w) for w in _WORD.findall(text)]
        if not normal:
            return []
        lemmas = [n[0] for n in normal]
        joined = " " + " ".join(lemmas) + " "
        hits = list(self.automaton.iter(joined))
        if not hits:
            return []
        if joined.count(" ") == len(lemmas) + 1:  # no lemma holds a space: a word's number is the spaces before it
            firsts = [joined.count(" ", 0, end - len(key) + 2) - 1 if joined[end - len(key) + 1] == " " else -1
                      for end, (key, _) in hits]
        else:
            starts = list(accumulate((len(lemma) + 1 for lemma in lemmas), initial=1))[:-1]
            firsts = [bisect_right(starts, end - len(key) + 2) - 1 for end, (key, _) in hits]
            firsts = [f if f >= 0 and starts[f] == end - len(key) + 2 else -1 for f, (end, (key, _)) in zip(firsts, hits)]
        # where the words stand in the text, as far as the last one a hit needs
        lasts = [first + key.count(" ") - 2 for first, (_, (key, _)) in zip(firsts, hits)]
        words = [m.span() for m in islice(_WORD.finditer(text), max(lasts) + 1)]
        found = []
        for first, last, (_, (_, entries)) in zip(firsts, lasts, hits):
            if first < 0 or last >= len(normal):
                continue
            if self.negations and self._negated(text, words, normal, first):
                continue
            fuzzy = any(normal[i][1] for i in range(first, last + 1))
            for concept, label in entries:
                found.append(Match(concept, words[first][0], words[last][1], label, fuzzy))
        found.sort(key=lambda m: (m.start, -(m.end - m.start), m.concept))
        return found
