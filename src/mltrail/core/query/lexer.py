"""Tokenizer of the search language: splits filter and order-by text into tokens that know their position."""

from __future__ import annotations

import enum
import math
import re
import string
from dataclasses import dataclass

from mltrail.core.errors import QuerySyntaxError


class TokenKind(enum.Enum):
    """What a token is."""

    WORD = "word"
    """A keyword or an identifier, e.g. ``AND``, ``params.lr``, ``tags."mlflow.runName"``."""
    STRING = "string"
    """A string literal in single or double quotes."""
    NUMBER = "number"
    """An integer or float literal, with optional sign and exponent."""
    OPERATOR = "operator"
    """One of ``= == != <> < <= > >=``."""
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    EOF = "end of input"


@dataclass(frozen=True, slots=True)
class Token:
    """One token of the source text.

    Attributes:
        kind: What the token is.
        text: The exact source text of the token, quotes included.
        start: Zero-based offset of the token's first character in the source text.
        value: For strings, the unescaped content; for numbers, the ``int`` or ``float``.
        quoted_key: For a word whose key is quoted (``params.`my key```), the unescaped key.
        prefix: For such a word, the text before the quoted key, e.g. ``params.``.
        suffix: For such a word, the text after the quoted key, e.g. ``.max``; often empty.
    """

    kind: TokenKind
    text: str
    start: int
    value: str | int | float | None = None
    quoted_key: str | None = None
    prefix: str = ""
    suffix: str = ""

    @property
    def end(self) -> int:
        """Offset just past the token's last character."""
        return self.start + len(self.text)


_WORD_START = frozenset(string.ascii_letters + "_")
_WORD_CHARS = frozenset(string.ascii_letters + string.digits + "_.-/")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NUMBER_TAIL = frozenset(string.ascii_letters + string.digits + "_.")
_OPERATORS = ("==", "!=", "<>", "<=", ">=", "=", "<", ">")
_PUNCTUATION = {"(": TokenKind.LPAREN, ")": TokenKind.RPAREN, ",": TokenKind.COMMA}
_ESCAPABLE = "'\"\\"
_INT_LIMIT = 2**63 - 1


def tokenize(text: str, *, field: str = "filter") -> list[Token]:
    r"""Split ``text`` into tokens, ending with one ``EOF`` token.

    Whitespace separates tokens and is dropped. Strings take single or double quotes; a quote is
    escaped by doubling it or with a backslash, and ``\\`` is a backslash (any other backslash is
    kept as written). A word ending in ``.`` followed at once by a backtick or double quote takes
    that quoted key, and then an optional ``.suffix``, into the same token.

    Args:
        text: The filter or order-by text.
        field: The argument the text came from, for errors (``filter`` or ``order_by``).

    Returns:
        The tokens in source order; the last one is ``EOF`` at ``len(text)``.

    Raises:
        QuerySyntaxError: On an unterminated string or quoted key, a malformed number, or a
            character that starts no token.
    """
    tokens: list[Token] = []
    length = len(text)
    i = 0
    while i < length:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in _WORD_START:
            tokens.append(_read_word(text, i, field=field))
            i = tokens[-1].end
        elif char in "'\"":
            value, end = _read_quoted(text, i, backslash=True, what="string", field=field)
            tokens.append(Token(TokenKind.STRING, text[i:end], i, value))
            i = end
        elif char in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[char], char, i))
            i += 1
        elif (number := _NUMBER.match(text, i)) is not None:
            tokens.append(_read_number(text, number, field=field))
            i = tokens[-1].end
        elif (operator := next((op for op in _OPERATORS if text.startswith(op, i)), None)) is not None:
            tokens.append(Token(TokenKind.OPERATOR, operator, i))
            i += len(operator)
        else:
            hint = ": backticks quote a key, e.g. params.`my key`" if char == "`" else ""
            raise QuerySyntaxError(
                f"unexpected character {char!r} at {i}{hint}", text=text, position=i, field=field
            )
    tokens.append(Token(TokenKind.EOF, "", length))
    return tokens


def _read_word(text: str, start: int, *, field: str) -> Token:
    """Read a keyword or identifier starting at ``start``, with its quoted key if it has one."""
    length = len(text)
    end = start + 1
    while end < length and text[end] in _WORD_CHARS:
        end += 1
    if not (text[end - 1] == "." and end < length and text[end] in '`"'):
        return Token(TokenKind.WORD, text[start:end], start)
    key, key_end = _read_quoted(text, end, backslash=text[end] == '"', what="quoted key", field=field)
    stop = key_end
    if stop < length and text[stop] == ".":
        stop += 1
        while stop < length and text[stop] in _WORD_CHARS:
            stop += 1
    return Token(
        TokenKind.WORD,
        text[start:stop],
        start,
        quoted_key=key,
        prefix=text[start:end],
        suffix=text[key_end:stop],
    )


def _read_quoted(text: str, start: int, *, backslash: bool, what: str, field: str) -> tuple[str, int]:
    """Read the quoted text opening at ``start``; return its unescaped content and the end offset."""
    quote = text[start]
    parts: list[str] = []
    length = len(text)
    i = start + 1
    while i < length:
        char = text[i]
        if char == quote:
            if i + 1 < length and text[i + 1] == quote:
                parts.append(quote)
                i += 2
                continue
            return "".join(parts), i + 1
        if backslash and char == "\\" and i + 1 < length and text[i + 1] in _ESCAPABLE:
            parts.append(text[i + 1])
            i += 2
            continue
        parts.append(char)
        i += 1
    raise QuerySyntaxError(f"unterminated {what} at {start}", text=text, position=start, field=field)


def _read_number(text: str, match: re.Match[str], *, field: str) -> Token:
    """Turn a number match into a token; reject ``1abc``, ``1.2.3`` and values beyond float range."""
    start, end = match.span()
    if end < len(text) and text[end] in _NUMBER_TAIL:
        while end < len(text) and text[end] in _NUMBER_TAIL:
            end += 1
        raise QuerySyntaxError(
            f"invalid number {text[start:end]!r} at {start}", text=text, position=start, field=field
        )
    source = match.group()
    value: int | float
    if any(char in source for char in ".eE"):
        value = float(source)
        if not math.isfinite(value):
            raise QuerySyntaxError(
                f"number {source} is out of range at {start}", text=text, position=start, field=field
            )
    else:
        digits = source.lstrip("+-").lstrip("0")
        value = int(source) if len(digits) <= 19 else _INT_LIMIT + 1
        if abs(value) > _INT_LIMIT:
            raise QuerySyntaxError(
                f"integer {source} is out of range at {start}: integers must fit in 64 bits",
                text=text,
                position=start,
                field=field,
            )
    return Token(TokenKind.NUMBER, source, start, value)
