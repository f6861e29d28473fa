"""script: an `Issue` -> its segments, each with a speech script written for the ear (pure).

One `intro` segment, one `highlight` segment per highlight item, one `section` segment
per section or subsection with items, one `outro`. Scripts are plain text: no URLs, no
markup, abbreviations and symbols spoken, flattening artifacts repaired. The
pronunciation lexicon is applied to the spoken text only (`spoken_text`), so the script
files stay readable.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from audio.fsutil import slugify
from audio.model import Issue, Item, Section, Segment

# --------------------------------------------------------------------------- normalization

# A citation of an earlier issue: "( AN #58 )", "(MLSN #3)", "( AN #58, #62 )".
CITATION = r"\s*\(\s*(?:AN|MLSN)\s*#\s*\d+\s*(?:,\s*(?:AN|MLSN)?\s*#\s*\d+\s*)*\)"

# The newsletters a citation names, as read aloud.
NEWSLETTERS = {"AN": "Alignment Newsletter", "MLSN": "ML Safety Newsletter"}


# A pictograph (emoji, dingbat, shape, ™, ®) or what joins or varies one: not read.
EMOJI = r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u25A0-\u25FF\u2122\u00AE\uFE0F\u200D]"

# A date as ISO 8601 writes it: 2024-03-04.
ISO_DATE = r"\b(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b"


def _long_date(m: re.Match[str]) -> str:
    return f"{calendar.month_name[int(m[2])]} {int(m[3])}, {m[1]}"


def written_dates(text: str) -> str:
    """`text` with its ISO dates as people write and say them.

    >>> written_dates("2024-03-04, not 2024-13-01")
    'March 4, 2024, not 2024-13-01'
    """
    return re.sub(ISO_DATE, _long_date, text)


_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen")
_TEENS += ("seventeen", "eighteen", "nineteen", "twenty")
_TENS = ("tens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies")
_TENS += ("eighties", "nineties")


def _decade(m: re.Match[str]) -> str:
    """ "1990s" -> "nineteen nineties", "1900s" -> "nineteen hundreds", "'90s" -> "nineties"
    (espeak-ng says "nineteen hundred ninety z")."""
    tens = int(m["tens"])
    if not m["century"]:
        before = m.groupdict().get("before") or ""
        return before.lstrip("'’") + _TENS[tens - 1]
    century = int(m["century"])
    if tens:
        return f"{_TEENS[century - 10]} {_TENS[tens - 1]}"
    return "two thousands" if century == 20 else f"{_TEENS[century - 10]} hundreds"


# Names after which a Roman numeral is an ordinal ("Charles III" is "Charles the third"),
# and words after which a single letter is a numeral ("World War I", "Phase I").
_REGNAL_NAMES = {"Albert", "Alexander", "Anne", "Benedict", "Carlos", "Catherine"}
_REGNAL_NAMES |= {"Charles", "Clement", "Constantine", "Edward", "Elizabeth", "Felipe"}
_REGNAL_NAMES |= {"Francis", "Frederick", "George", "Gregory", "Gustaf", "Harald", "Henry"}
_REGNAL_NAMES |= {"Innocent", "Ivan", "James", "John", "Juan", "King", "Leo", "Louis"}
_REGNAL_NAMES |= {"Mary", "Napoleon", "Nicholas", "Olav", "Paul", "Peter", "Philip", "Pius"}
_REGNAL_NAMES |= {"Rama", "Richard", "Urban", "Victoria", "Willem", "William"}
_NUMBERED = {"Act", "Article", "Book", "Category", "Chapter", "Class", "Division"}
_NUMBERED |= {"Episode", "Grade", "Level", "Part", "Phase", "Round", "Schedule", "Season"}
_NUMBERED |= {"Section", "Series", "Stage", "Tier", "Title", "Type", "Volume", "War"}
_ROMAN_VALUES = {"L": 50, "X": 10, "V": 5, "I": 1}


def _roman(m: re.Match[str]) -> str:
    """ "World War II" -> "World War 2", "Charles III" -> "Charles the 3rd" (espeak-ng says
    "roman two", "roman three"). A single letter is a numeral only after a word that
    numbers ("Phase I") or a regnal name ("Henry V"; not "John I", more often the
    pronoun)."""
    before, roman = m["before"], m["roman"]
    name = before.title()
    regnal = name in _REGNAL_NAMES
    single = len(roman) == 1 and not (name in _NUMBERED or (regnal and roman != "I"))
    if not roman or single:
        return m[0]
    values = [_ROMAN_VALUES[c] for c in roman]
    value = sum(-v if v < after else v for v, after in zip(values, [*values[1:], 0], strict=True))
    if not regnal:
        return f"{before} {value}"
    teen = value % 100 in (11, 12, 13)
    suffix = "th" if teen else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
    return f"{before} the {value}{suffix}"


def _power(m: re.Match[str]) -> str:
    """ "3e-4" -> "3 times 10 to the minus 4"; "10^6" -> "10 to the 6" (espeak-ng says "3
    E 4", losing the sign, and "10 6")."""
    sign = "minus " if m["sign"] in ("-", "−") else ""
    base = f"{m['mantissa']} times 10" if m["mantissa"] else m["base"]
    return f"{base} to the {sign}{int(m['exponent'])}"


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _superscript(m: re.Match[str]) -> str:
    """ "10⁶" -> "10^6" and "mc²" -> "mc^2" (a power, after a number or a variable of
    one or two letters); "model¹" -> "model" (a footnote's mark); espeak-ng reads them
    "10 6", "M C two", "model one"."""
    base, power = m["base"], m["power"].translate(_SUPERSCRIPT)
    return f"{base}^{power}" if base.isdigit() or len(base) <= 2 else base


_FRACTIONS = {"1/2": "one half", "1/3": "one third", "2/3": "two thirds"}
_FRACTIONS |= {"1/4": "one quarter", "3/4": "three quarters"}


def _fraction(m: re.Match[str]) -> str:
    """ "3/4" -> "three quarters", a score "7/10" -> "7 out of 10" (out of 5, 10 or 100);
    others, such as a date "5/20", as they are (espeak-ng says "slash")."""
    fraction = f"{int(m[1])}/{int(m[2])}"
    if fraction in _FRACTIONS:
        return _FRACTIONS[fraction]
    score = m[2] in ("5", "10", "100") and int(m[1]) <= int(m[2])
    return f"{m[1]} out of {m[2]}" if score else m[0]


_MONEY = {"$": ("dollar", "cent"), "€": ("euro", "cent"), "£": ("pound", "penny")}


def _money_and_cents(m: re.Match[str]) -> str:
    """ "$4.40" -> "4 dollars and 40 cents", "$0.05" -> "5 cents" (espeak-ng says "4
    point 4 0")."""
    unit, small = _MONEY[m[1]]
    whole, cents = m[2], int(m[3])
    if small == "penny":
        small = "penny" if cents == 1 else "pence"
    else:
        small = small if cents == 1 else f"{small}s"
    if whole.replace(",", "").strip("0") == "":
        return f"{cents} {small}"
    big = f"{whole} {unit}" if whole == "1" else f"{whole} {unit}s"
    return big if cents == 0 else f"{big} and {cents} {small}"


# Units after a number, as read aloud (espeak-ng spells most of them: "10 M S"): the
# plural, and the singular after 1.
_UNITS = {
    "km/h": ("kilometers per hour", "kilometer per hour"),
    "mph": ("miles per hour", "mile per hour"),
    "KB": ("kilobytes", "kilobyte"),
    "kB": ("kilobytes", "kilobyte"),
    "MB": ("megabytes", "megabyte"),
    "GB": ("gigabytes", "gigabyte"),
    "TB": ("terabytes", "terabyte"),
    "PB": ("petabytes", "petabyte"),
    "ns": ("nanoseconds", "nanosecond"),
    "µs": ("microseconds", "microsecond"),
    "ms": ("milliseconds", "millisecond"),
    "min": ("minutes", "minute"),
    "mins": ("minutes", "minute"),
    "hr": ("hours", "hour"),
    "hrs": ("hours", "hour"),
    "h": ("hours", "hour"),
    "sec": ("seconds", "second"),
    "secs": ("seconds", "second"),
    "wk": ("weeks", "week"),
    "wks": ("weeks", "week"),
    "mo": ("months", "month"),
    "mos": ("months", "month"),
    "yr": ("years", "year"),
    "yrs": ("years", "year"),
    "bps": ("basis points", "basis point"),
    "mg": ("milligrams", "milligram"),
    "mg/kg": ("milligrams per kilogram", "milligram per kilogram"),
    "µg": ("micrograms", "microgram"),
    "mcg": ("micrograms", "microgram"),
    "mmHg": ("millimeters of mercury", "millimeter of mercury"),
    "ppm": ("parts per million", "part per million"),
    "ppb": ("parts per billion", "part per billion"),
    "kg": ("kilograms", "kilogram"),
    "mm": ("millimeters", "millimeter"),
    "cm": ("centimeters", "centimeter"),
    "km": ("kilometers", "kilometer"),
    "W": ("watts", "watt"),  # only right after the number ("Route 5 W"): not in _UNIT
    "kW": ("kilowatts", "kilowatt"),
    "MW": ("megawatts", "megawatt"),
    "GW": ("gigawatts", "gigawatt"),
    "kWh": ("kilowatt hours", "kilowatt hour"),
    "MWh": ("megawatt hours", "megawatt hour"),
    "GWh": ("gigawatt hours", "gigawatt hour"),
    "TWh": ("terawatt hours", "terawatt hour"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "MB/s": ("megabytes per second", "megabyte per second"),
    "GB/s": ("gigabytes per second", "gigabyte per second"),
    "TB/s": ("terabytes per second", "terabyte per second"),
    "Mb/s": ("megabits per second", "megabit per second"),
    "Gb/s": ("gigabits per second", "gigabit per second"),
    "tok/s": ("tokens per second", "token per second"),
    "kbps": ("kilobits per second", "kilobit per second"),
    "Mbps": ("megabits per second", "megabit per second"),
    "Gbps": ("gigabits per second", "gigabit per second"),
    "fps": ("frames per second", "frame per second"),
    "mAh": ("milliamp hours", "milliamp hour"),
    "TFLOPS": ("teraflops", "teraflop"),
    "ft": ("feet", "foot"),
    "lb": ("pounds", "pound"),
    "lbs": ("pounds", "pound"),
    "oz": ("ounces", "ounce"),
    "°C": ("degrees Celsius", "degree Celsius"),
    "°F": ("degrees Fahrenheit", "degree Fahrenheit"),
}
_UNIT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True) if u != "W")


# A reading time, which means nothing aloud: "5 min read", "4 minute read".
_READING_TIME = r"\d{1,3}[ -]?min(?:ute)?s?\.? read"
# What a link's text in parentheses may say that means nothing aloud.
_LINK_LABEL = (
    r"(?i:links?|sources?|here|blog ?post|blog|thread|video|pdf|(?:github )?repo|website"
    rf"|tweet|press release|announcement|{_READING_TIME})"
)

# What a short unit of time stands for: "$20/mo" is "20 dollars per month", "a 10-yr
# bond" a "10-year" one.
_TIME_UNITS = {"h": "hour", "hr": "hour", "s": "second", "sec": "second"}
_TIME_UNITS |= {"min": "minute", "wk": "week", "mo": "month", "yr": "year"}
_PER_SHORT = "|".join(_TIME_UNITS)
_PER_ANY = "|".join((*_TIME_UNITS, "hour", "day", "week", "month", "year", "person"))


# Words after an amount that show it is not a noun's modifier ("Apple's $3T is more").
_NOT_A_NOUN = (
    r"(?:is|was|are|were|has|had|will|would|in|on|of|for|to|and|or|but|from|by|at|with|as"
    r"|than|that|this|it|its|a|an|the|last|next|per|each|less|more|cheaper|higher|lower)"
)
# An amount in words and its currency's plural, as the money rules write it: "5 million
# dollars".
_SPOKEN_AMOUNT = r"(\d[\d,.]*(?: (?i:million|billion|trillion|thousand))?) (dollar|euro|pound)s"


def _hyphened_unit(m: re.Match[str]) -> str:
    """ "10-yr" -> "10-year"."""
    return f"{m[1]}-{_TIME_UNITS[m[2].lower()]}"


def _per(m: re.Match[str]) -> str:
    """ "/mo" after an amount -> " per month", "req/s" -> "req per second"."""
    return f"{m.groupdict().get('unit') or ''} per {_TIME_UNITS.get(m['per'], m['per'])}"


_MONTHS = {name[:3]: name for name in calendar.month_name[1:]} | {"Sept": "September"}
# How a month's name starts, and its abbreviations (not May, which is the name).
_MONTH_START = "|".join(name[:3] for name in calendar.month_name[1:])
_MONTH_SHORT = "|".join(short for short, name in _MONTHS.items() if short != name)


_PARTS = {"½": " and a half", "¼": " and a quarter", "¾": " and three quarters"}
_COMPARED = {">": "more than ", "<": "less than ", "≥": "at least ", "≤": "at most "}


def _and_a_part(m: re.Match[str]) -> str:
    """ "½" after a number -> " and a half"."""
    return _PARTS[m[0]]


def _compared(m: re.Match[str]) -> str:
    """ ">" before a number -> "more than "."""
    return _COMPARED[m[0].strip()]


def _per_count(m: re.Match[str]) -> str:
    """ "/M" after a price -> " per million", "/MTok" -> " per million tokens"."""
    return {"MTok": " per million tokens", "M": " per million", "B": " per billion"}.get(
        m["size"], " per thousand"
    )


# Abbreviated words of organizations' names, as they are said.
_NAME_WORDS = {"Corp": "Corporation", "Co": "Company", "Inc": "Inc", "Ltd": "Limited"}
_NAME_WORDS |= {"Univ": "University", "Assoc": "Association", "Assn": "Association"}
_NAME_WORDS |= {"Dept": "Department", "Inst": "Institute", "Fdn": "Foundation"}
_NAME_WORDS |= {"Govt": "Government"}
_NAME_WORD = "|".join((*_NAME_WORDS, "govt"))
# and adjectives, which a point never ends a sentence after: "Intl. Energy Agency"
_NAME_WORDS |= {"Intl": "International", "Natl": "National"}


def _name_word(m: re.Match[str]) -> str:
    """ "Corp." -> "Corporation", keeping the point where it may end a sentence (not
    before a comma or a lowercase word); "Int'l" -> "International"."""
    abbr = m["abbr"].replace("’", "").replace("'", "")
    word = _NAME_WORDS.get(abbr) or _NAME_WORDS[abbr.capitalize()].lower()
    return word if m["on"] is not None or not m[0].endswith(".") else f"{word}."


def _month(m: re.Match[str]) -> str:
    """ "Aug." before a day or a year, or after a day -> "August"."""
    return _MONTHS[m["month"]]


# Titles before a name as they are said ("Dr. Smith"), and after one ("King Jr.").
_TITLES = {"Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Prof": "Professor"}
_TITLES |= {"Sen": "Senator", "Gov": "Governor", "Rep": "Representative", "Pres": "President"}
_TITLES |= {"Gen": "General", "Col": "Colonel", "Capt": "Captain", "Lt": "Lieutenant"}
_TITLES |= {"Sgt": "Sergeant", "Adm": "Admiral", "Rev": "Reverend", "Mt": "Mount"}
_TITLES |= {"Ft": "Fort", "Jr": "Junior", "Sr": "Senior"}
_TITLE = "|".join(title for title in _TITLES if title not in ("Jr", "Sr"))


# Time zones that follow a time: "4 p.m. ET".
_TIME_ZONE = "ET|PT|CT|MT|EST|PST|CST|MST|EDT|PDT|CDT|MDT|GMT|UTC|BST|CET|CEST|IST|JST|AEST"


# A pictograph (not "™" nor a shape), with what joins it: "👋", "🛠️", "👩‍💻".
_PICTOGRAPH = r"[\U0001F000-\U0001FAFF\u2600-\u27BF][\uFE0F\u200D\U0001F000-\U0001FAFF]*"
# Words after which a sentence does not end.
_JOINING = {"a", "an", "and", "or", "but", "the", "of", "with", "by", "to", "for", "in", "on"}


def _pictograph_break(m: re.Match[str]) -> str:
    """ "folks 👋 " before a capital -> "folks. ", unless the word joins ("and 🤖 ")."""
    word = m["word"]
    return f"{word} " if word.casefold() in _JOINING else f"{word}. "


# Words that often start a sentence, and rarely follow "U.S." inside one.
_STARTERS = (
    "The|This|That|These|Those|Then|There|Their|They|He|She|It|Its|We|I|You|But|And|So|Yet"
    "|Or|In|On|At|As|For|If|When|While|After|Before|Meanwhile|However|Also|A|An|Now|Still"
    "|Our|My|His|Her|What|Why|How|Who|Where|Some|Many|Most|One|No|Not|Even|Last|Next|Here"
    "|According|More|Such|Both|Each|All|To|With|From|By|Since|Until|Under|Over|Instead"
)


# Places and days named after a saint, which news writes "St. Louis", "St. Patrick's Day".
_SAINTS = (
    "Albans|Andrews|Augustine|Charles|Cloud|Croix|George|Helena|Ives|James|John|Jude|Kitts"
    "|Louis|Lucia|Martin|Mary|Moritz|Pancras|Patrick|Paul|Petersburg|Thomas|Tropez|Vincent"
)


def _title(m: re.Match[str]) -> str:
    """ "Dr." before a name -> "Doctor", "Jr." -> "Junior"."""
    return _TITLES[m["title"]]


def _weekday(m: re.Match[str]) -> str:
    """ "Mon, " before a month's day -> "Monday, "."""
    day = next(d for d in calendar.day_name if d.startswith(m["day"]))
    return f"{day}, "


def _slashed_date(m: re.Match[str]) -> str:
    """ "12/03/2024" -> "12 3 2024" (espeak-ng says "slash" and "zero three")."""
    return f"{int(m[1])} {int(m[2])} {m[3]}"


def _phone(m: re.Match[str]) -> str:
    """ "1-800-555-0199" -> "1, 8 0 0, 5 5 5, 0 1 9 9"."""
    return ", ".join(" ".join(group) for group in m.groups() if group)


def _alternatives(m: re.Match[str]) -> str:
    """ "methods/results" -> "methods or results"; names in capitals ("TCP/IP") as they are."""
    parts = m[0].split("/")
    return m[0] if all(p.isupper() for p in parts) else " or ".join(parts)


def _unit(m: re.Match[str]) -> str:
    """ "16GB" -> "16 gigabytes", "1 ms" -> "1 millisecond", and after an article, before
    what it measures: "a 16GB card" -> "a 16 gigabyte card"."""
    plural, singular = _UNITS[m["unit"]]
    article = m["article"]
    unit = singular if article or m["number"] == "1" else plural
    return f"{article or ''}{m['number']} {unit}"


# (pattern, replacement) pairs applied in order by `to_speech`. Citations are dropped
# here; `to_speech(..., citations="read")` reads them instead (`spoken_citation`).
SPOKEN: tuple[tuple[str, str | Callable[[re.Match[str]], str]], ...] = (
    # HTML tags, "<&mut [T]>" (not "x < 5 and y > 3", nor "<5% of them, >10 of")
    (r"<(?![\s\d$€£~=])[^<>]*(?<!\s)>", " "),
    (r"\*\|[A-Z0-9_:]+\|\*", ""),  # a mailing list's merge tags: "Hi *|FNAME|*"
    (r"\[([^\]]+)\]\([^)\s]*\)", r"\1"),  # Markdown links: keep the text
    (r"\s*\[(?:\d{1,3}|\^[\w-]{1,20})\]", ""),  # footnote marks: "as shown [1]", "[^1]"
    (r"(?:^|\s)[-=_*~#]{3,}(?=\s|$)", " "),  # rules and separators: "-----", "***"
    (r"(?<!\S)/{2,}(?=\s)", ", "),  # a heading's mark: "// Favorites"
    (r"\b([CF])#", r"\1 sharp"),  # C#, F#
    (r"(?<![\w.])\.NET\b", "dot net"),
    (r"\b24/7\b", "24 7"),
    (r"\b((?:19|20)\d\d)/(\d\d)\b(?!/)", r"\1 \2"),  # the 2025/26 season
    # a telephone number, digit by digit in its groups (espeak-ng says "dash", "800")
    (r"(?<![\w-])(?:\+?(1)[-. ])?\(?(\d{3})\)?[-. ](\d{3})[-. ](\d{4})\b(?![-.]\d)", _phone),
    # a date 10/12/2025, which day first or month first reads the same: "10 12 2025"
    (r"(?<![\w/])(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)\b(?!/)", _slashed_date),
    (r"\b50/50\b", "50 50"),
    (r"(?<=\d)[½¼¾]", _and_a_part),  # a 4½-minute read
    (r"\b9/11\b", "9 11"),
    # URLs (not the punctuation after one): "available at <URL>" is "available online".
    (r"\s(?:at|on|via)\s+(?:https?://|www\.)\S+?(?=[.,;:!?)\]]*(?:\s|$))", " online"),
    (r"(?:https?://|www\.)\S+?(?=[.,;:!?)\]]*(?:\s|$))", " "),
    (r"\[(?:Paper|Blog post|Code|Link|arXiv|Video|Slides|Github repo|PDF)\]", " "),  # link labels
    (CITATION, ""),  # ( AN #58 )
    (r"(?<![\w&#])#(?=\d)", "number "),  # the #1 app
    (r"\b[Nn]o\.(?=\s?\d)", "number"),  # No. 5
    (r"\bpp\.(?=\s?\d)", "pages"),
    (r"(?<![\w.])p\.(?=\s?\d)", "page"),
    (r"\b[Vv]ol\.(?=\s?\d)", "volume"),
    (r"\bca\.(?=\s?\d)", "circa"),
    (r"\b([Aa])pprox\b\.?", r"\1pproximately"),
    (r"\bet al\b\.?", "and colleagues"),
    (r"\be\.g\.,?", "for example"),
    (r"\bi\.e\.,?", "that is"),
    (r"\bvs\.?(?=\s)", "versus"),
    (r"\b([A-Z][a-z]+) v\. (?=[A-Z])", r"\1 versus "),  # Roe v. Wade
    # the World Health Organization, not "who" (nor a heading in capitals: "WHO WE ARE")
    (r"(?<![A-Z] )\bWHO\b(?![-'’]?[A-Z]|\s+[A-Z]{2})", "W.H.O"),
    (r"\bw\.r\.t\.?", "with respect to"),
    (r"\bcf\.", "compare"),
    (r"\betc\.(?=\s+[a-z])", "etcetera"),
    (r"~~", " "),  # strikethrough marks
    (r"~\s*(?=[\w$€£])", "about "),  # ~1 million, ~zero, ~$5
    # 2024-10-23 - 2024-11-20: "October 23, 2024 to November 20, 2024"
    (r"(?<=\d{4}-\d\d-\d\d)(?:\s*[–—]\s*|\s+-\s+)(?=\d{4}-\d\d-\d\d\b)", " to "),
    (ISO_DATE, _long_date),  # 2024-03-04: March 4, 2024
    # March 04, 2025 (espeak-ng says "zero four"): March 4, 2025
    (rf"\b((?:{_MONTH_START})[a-z]*\.?) 0([1-9])\b", r"\1 \2"),
    # Mon, Dec 7: "Monday, Dec 7"
    (
        r"\b(?P<day>Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?,? "
        rf"(?=(?:{_MONTH_START})[a-z]*\.? \d)",
        _weekday,
    ),
    # Aug. 2, Sept. 12, Dec 2024: "August 2" (espeak-ng says "og", and ends a sentence at
    # the point)
    (
        rf"\b(?P<month>{_MONTH_SHORT})\.?"
        r"(?= (?:[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\b(?![:.,]\d)| \d{4}\b)",
        _month,
    ),
    # 5 Jan 2026, 12 Sept.: "5 January 2026"
    (
        rf"(?<=\d )(?P<month>{_MONTH_SHORT})\b(?:\.(?=\s+[\da-z]))?",
        _month,
    ),
    (r"(?P<base>\w+)(?P<power>[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)", _superscript),  # 10⁶, mc², model¹
    # 3e-4, 10^6, 10^{25}, 2^-10
    (
        r"(?<![\w.])(?:(?P<mantissa>\d+(?:\.\d+)?)[eE]|(?P<base>\w+)\^\{?)\(?"
        r"(?P<sign>[-−+]?)(?P<exponent>\d+)\b\)?(?(base)\}?)",
        _power,
    ),
    (r"(?<![\w'’.,])(?P<century>1[1-9]|20)(?P<tens>\d)0s\b", _decade),  # 1990s, 2000s
    # World War II, Charles III, Super Bowl LIX (up to 89)
    (
        r"\b(?P<before>[A-Z][A-Za-z]+) (?P<roman>(?=[IVXL]+\b)L?X{0,3}(?:IX|IV|V?I{0,3}))\b"
        r"(?![-'’.]\w)",
        _roman,
    ),
    # '90s, the 90s, her early 80s (not "in 30s", seconds)
    (
        r"(?P<before>(?<![\w.])['’]|\b(?:the|her|his|their|early|late) |\bmid-)"
        r"(?P<century>)(?P<tens>[1-9])0s\b",
        _decade,
    ),
    # a year's last two digits, "the '24 election", "Q4'24" (espeak-ng pauses at the mark)
    (r"(?<=\w)['’](?=\d\d\b(?!['’.,]\d))", " "),
    (r"(?<![\w'’])['’](?=\d\d\b(?!['’.,]\d))", ""),
    # 3/4, 7/10 (not "on 3/4", a date)
    (r"(?<![\w/.,])(?<!\bon )(\d{1,3})/(\d{1,3})(?![\w/]|[.,]\d)", _fraction),
    # a reading time, which means nothing aloud: "By Sam • 5 min read"
    (rf"(?i)(?:^|\s*[•·|–—-])\s*{_READING_TIME}\b", ""),
    # a link's label or a reading time in parentheses, "(source)", "(4 minute read)": not
    # read, but the end of a title or a sentence whose point flattening lost
    (rf"(?<=\w)\s*\({_LINK_LABEL}\)(?=\s+[A-Z])", "."),
    (rf"\s*\({_LINK_LABEL}\)", ""),
    (r"\s+[•·]\s+", ", "),  # "By Sam Lee • March 3": a pause between fields
    (
        rf"(?P<article>\b[Aa]n? )?(?<![\w.])(?P<number>\d+(?:[.,]\d+)*)\s?(?P<unit>{_UNIT})"
        r"(?![\w/])",
        _unit,
    ),
    (r"(?P<article>\b[Aa]n? )?(?<![\w.])(?P<number>\d+(?:\.\d+)?)(?P<unit>W)\b(?!['’])", _unit),
    (r"(?<![\w.])(\d+)-((?i:yr|hr|min|sec|wk|mo))\b", _hyphened_unit),  # a 10-yr bond
    (r"\bFLOPs\b", "flops"),
    (r"\bFLOP/s\b", "flop per second"),
    # a change in a market's table: "NASDAQ 18,350.19 -2.64%"
    (r"(?<!\S)[-−](\d[\d.,]*)\s?%", r"down \1 percent"),
    (r"(?<!\S)\+(\d[\d.,]*)\s?%", r"up \1 percent"),
    (r"(\d)\s*%", r"\1 percent"),
    # times of day espeak-ng reads "five zero zero": 5:00pm, 9:05, 17:00
    (r"(?<![\d:])(\d{1,2}):00(?=\s?[AaPp]\.?[Mm]\b)", r"\1"),
    (r"(?<![\d:])(1[3-9]|2[0-3]):00\b(?!:)", r"\1 hundred"),
    (r"(?<![\d:])([1-9]|1[0-2]):00\b(?!:)", r"\1 o'clock"),
    (r"(?<![\d:])(\d{1,2}):0([1-9])\b(?!:)", r"\1 oh \2"),
    (r"\bv(\d+(?:\.\d+)+)\b", r"version \1"),  # v0.4.2
    # $5–10M: "5 to 10 million dollars"
    (
        r"([$€£])(\d+(?:\.\d+)?)\s*[–—]\s*[$€£]?(?=\d+(?:\.\d+)?(?:\s?bn|\s?mn|[kKMBT])\b)",
        r"\2 to \1",
    ),
    (r"(\d(?:bn|[kKMBT])?)\s*[–—]\s*(?=[$€£]?\d)", r"\1 to "),  # 2019–2020, 5B–500B
    (r"\b([QH]\d)\s*[–—-]\s*(?=[QH]\d\b)", r"\1 to "),  # Q1–Q3: "Q1 to Q3"
    # a graphics card's number, said in pairs: "RTX 4090" is "RTX 40 90", "RX 7900" "79 hundred"
    (r"\b((?:RTX|GTX|RX) )(\d\d)00\b", r"\1\2 hundred"),
    (r"\b((?:RTX|GTX|RX) )(\d\d)(\d\d)\b", r"\1\2 \3"),
    (r"(\d\s?[ap]\.?m\b\.?)\s*[–—-]\s*(?=\d)", r"\1 to "),  # 9am–5pm: "9am to 5pm"
    # a name's version and size: "Llama-3.1-8B", "Qwen2.5-72B" (espeak-ng says "dash")
    (r"\b([A-Za-z][\w.-]*\d)-(?=\d+[A-Za-z]*\b)", r"\1 "),
    # a range of numbers: "5-10%", "2-3 days", "8-10B" (not "1-800-555", "3.1-8B")
    (
        r"(?<![\w.,/-])(\d+(?:\.\d+)?)-(?=\d+(?:\.\d+)?(?:\s|%|[kKMBTxX]\b|$|[,;:!?)]|\.(?!\d)))",
        r"\1 to ",
    ),
    # 4K video: a resolution, not 4 thousand
    (
        r"\b([48])K(?=\s+(?:video|display|resolution|TVs?|screens?|monitors?|HDR|footage)\b)",
        r"\1 K",
    ),
    # a price per so many tokens: "$3/M", "$0.25/1M tokens", "$15/MTok", "$0.02/1K"
    (r"(?<=\d)\s?/\s?(?:1\s?)?(?P<size>MTok|[MkKB])\b(?![/.]\w)", _per_count),
    (r"(?<![\w.-])(\d+(?:\.\d+)?)[kK]\b", r"\1 thousand"),  # 8k tokens, $200k
    (r"(?<![\w.-])(\d+(?:\.\d+)?)(?:M|\s?mn)\b", r"\1 million"),  # 70M parameters
    (r"(?<=[$€£])(\d+(?:\.\d+)?)m\b", r"\1 million"),  # £1.2m
    (r"(?<![\w.-])(\d+(?:\.\d+)?)(?:B|\s?bn)\b", r"\1 billion"),  # 16B, $1.5bn
    (r"(?<![\w.-])(\d+(?:\.\d+)?)T\b", r"\1 trillion"),
    (r"(?<![\w.-])(\d+(?:\.\d+)?)[xX]\s*[–—-]\s*(?=\d+(?:\.\d+)?[xX]\b)", r"\1 to "),  # 2x-3x
    (r"(?<![\w.-])(\d+(?:\.\d+)?)[xX]\b", r"\1 times"),  # 10x cheaper, 2X
    (r"\band/or\b", "and or"),
    (r"\b[Yy]/[Yy]\b", "year over year"),  # up 9% y/y
    (r"\b[Qq]/[Qq]\b", "quarter over quarter"),
    (r"\b([A-Z])/([A-Z])\b", r"\1 \2"),  # I/O, A/B testing
    (r"\s+/\s+", ", "),  # "(Leah Nylen / Bloomberg)": a pause, not "slash"
    # $20/mo, 100 req/s, 5/day: "per month", "per second", "per day"
    (rf"(?<=\d)/(?P<per>{_PER_ANY})\b(?![/.]\w)", _per),
    (rf"(?<=\d )(?P<unit>[a-z]{{1,12}})/(?P<per>{_PER_SHORT})\b(?![/.]\w)", _per),
    (r"(\d\s?[A-Za-z]+)/([A-Za-z]+)\b", r"\1 per \2"),  # 20 tokens/param
    (r"\bw/o\b", "without"),
    (r"(?<![\w/])w/(?=\s)", "with"),  # coffee w/ friends
    (r"\bb/c\b", "because"),
    (r"(?i)\bh/t\b", "hat tip to"),
    (r"\bAFAIK\b", "as far as I know"),
    (r"\bYoY\b", "year over year"),
    (r"\bQoQ\b", "quarter over quarter"),
    (r"\bMoM\b", "month over month"),
    # a title before a name, "Dr. Smith", "Sen. Warren" (espeak-ng ends a sentence at the
    # point, or reads "sen"), and "Jr." or "Sr." before a word
    (rf"\b(?P<title>{_TITLE})\.(?=\s+[A-Z])", _title),
    (r"\bMs\b\.?(?=\s+[A-Z])", "Miz"),
    # St. Louis (espeak-ng ends a sentence at the point); not "Main St. The ...", a street
    (rf"\bSt\.(?= (?:{_SAINTS})\b)", "Saint"),
    (r"\b(?P<title>Jr|Sr)\b(?:\.(?=,|\s+\w))?", _title),
    # "the U.S. President": no sentence ends at the point (espeak-ng ends one), unless a
    # word that starts sentences follows ("to the U.S. Then")
    (rf"\b((?:[A-Z]\.){{1,3}}[A-Z])\.(?=\s+(?!(?:{_STARTERS})\b)[A-Z][a-z])", r"\1"),
    (r"\bIMHO\b", "in my humble opinion"),
    (r"\bPh\.\s?D\.(?=,|\s+[a-z])", "PhD"),  # espeak-ng says "P H D dot D dot"
    (r"\bPh\.\s?D\b", "PhD"),
    (r"\bIPv(?=\d)", "I P v"),  # IPv6, not "ipv six"
    (r"\bFY\s?['’]?(?=\d\d(?:\d\d)?\b)", "F Y "),  # FY2024, not "fy"
    (r"\bk8s\b", "Kubernetes"),
    # 4 p.m. ET: espeak-ng ends a sentence at the point before the time zone
    (rf"\b([ap])\.m\.(?=\s+(?:{_TIME_ZONE})\b)", r"\1m"),
    (r"(?:^|(?<=[.!?]\s))Q:\s", "Question: "),  # an interview's "Q: ..." and "A: ..."
    (r"(?:^|(?<=\?\s))A:\s", "Answer: "),
    (r"(?<![\w/])r/(?=\w)", "r slash "),  # a subreddit: r/rust
    # iterative/recursive, Risk/Strategy, Box/Rc/Arc; not TCP/IP, 24/7 or src/parse.py
    (r"(?<![\w/.:])[A-Za-z][\w-]*(?:/[A-Za-z][\w-]*)+(?![\w/]|\.\w)", _alternatives),
    # words of an organization's name that espeak-ng misreads ("Intl" "int-el") or ends a
    # sentence at ("Acme Corp. and"): "Corporation", "International"
    (rf"\b(?P<abbr>{_NAME_WORD})\.(?P<on>(?=[,;:)]|\s+[a-z\d]))?", _name_word),
    (r"\b(?P<abbr>Int['’]?l|Nat['’]?l)\b\.?(?P<on>)", _name_word),
    (r"\b(?P<abbr>Govt|govt|Dept)\b(?!\.)(?P<on>)", _name_word),
    (r"\bFigs\.(?=\s*\d)", "Figures"),
    (r"\bFig\.(?=\s*\d)", "Figure"),
    (r"\bEq\.(?=\s*\(?\d)", "Equation"),
    (r"\bSec\.(?=\s*\d)", "Section"),
    # a market's arrows, "Dow ▼ 1.2%" (not emoji: the direction is the news)
    (r"\s*[↑▲⬆]\uFE0F?\s*", " up "),
    (r"\s*[↓▼⬇]\uFE0F?\s*", " down "),
    # a pictograph between words, before a capital, where a sentence ended: "Hey folks 👋
    # Big week" is "Hey folks. Big week" (not "Acme™ Cloud", nor "and 🤖 Claude")
    (rf"(?P<word>[\w)]+)\s*{_PICTOGRAPH}\s+(?=[A-Z])", _pictograph_break),
    # emoji and symbols (espeak-ng says "party popper", "black small square", "trade mark")
    (rf"{EMOJI}+", ""),
    # $4.40, €0.50, £2.99 (not $1.10 million)
    (
        r"([$€£])\s?(\d[\d,]*)\.(\d\d)(?![\d.]|\s?(?:million|billion|trillion|thousand)\b)",
        _money_and_cents,
    ),
    (
        r"\$\s?(\d(?:[\d,]*\d)?(?:\.\d+)?)(\s?(?i:million|billion|trillion|thousand))?",
        r"\1\2 dollars",
    ),
    (r"(?<![\d.,])1 dollars\b", "1 dollar"),
    (r"€\s?(\d(?:[\d,]*\d)?(?:\.\d+)?)(\s?(?i:million|billion|trillion|thousand))?", r"\1\2 euros"),
    (
        r"£\s?(\d(?:[\d,]*\d)?(?:\.\d+)?)(\s?(?i:million|billion|trillion|thousand))?",
        r"\1\2 pounds",
    ),
    (r"(?<![\d.,])1 (euro|pound)s\b", r"1 \1"),
    # a $61.5B valuation: "a 61.5 billion dollar valuation"
    (rf"\b([Aa]n?) {_SPOKEN_AMOUNT}\b", r"\1 \2 \3"),
    # Nvidia's $4T moment, the $4T market: "Nvidia's 4 trillion dollar moment" (not "it's 5
    # dollars less", "the $5 million in funding")
    (
        r"\b((?i:the|this|that|its|their|his|her|our|your)"
        r"|(?!(?i:it|that|there|here|what|who|he|she|let|where|how)['’]s)\w+['’]s)"
        rf" {_SPOKEN_AMOUNT} (?=(?!{_NOT_A_NOUN}\b)[a-z])",
        r"\1 \2 \3 ",
    ),
    (r"\s*&\s*", " and "),
    (r"\b([A-Za-z])_\{?([A-Za-z0-9]+)\}?", r"\1 \2"),  # L_p -> L p
    (r"(?<=\w)_(?=\w)", " "),  # n_parameters -> n parameters
    (r"\s*≠\s*", " is not "),
    # comparisons espeak-ng would not read ("N > 1" is "N 1"); it reads ">=" itself
    (r"(?<=[\w)])\s+>\s+(?=[\w$€£(-])", " greater than "),
    (r"(?<=[\w)])\s+<\s+(?=[\w$€£(-])", " less than "),
    # "more than" and "less than" before a number: ">10 people", "<5 percent", "≥3 runs"
    (r"(?:^|(?<=[\s(]))[<>≥≤]\s?(?=\d)", _compared),
    (r"\s*≈\s*", " is about "),
    (r"\s*(?:→|->|»|›)(?=\.?\s*$)", ""),  # a link's arrow: "Read more →" (or "→.")
    (r"\s*(?:→|->)\s*", " to "),
    (r"\s*×\s*", " times "),
    (r"\s*(?:—|–|\s--?\s)\s*", ", "),  # dashes between words
    (r"\s*(?:\.\.\.|…)\s*$", "."),  # a description cut short: "... play data..."
    (r"\s*(?:\.\.\.|…)\s*", ", "),  # ellipses
    (r"(?<=\w)[’‘](?=\w)", "'"),  # curly apostrophes
    (r"[“”\"‘’]", ""),  # quotation marks
    (r"\s+\|\s+", ", "),  # "2024-10-16 | Berlin | Rust Meetup": a pause between fields
    (r"[*_#`|]+", " "),  # leftover markup
    (r"[\[\]{}]", " "),
    (r"(?<![\w(])\((\w+)\)(?=\w)", r"\1"),  # (sub)goal -> subgoal
    (r"\s*\(\s*", ", "),  # parentheses read as a pause
    (r"\s*\)\s*", ", "),
    (r"\s+([.,;:!?])", r"\1"),  # "here ." -> "here."
    (r"([,;:])(?:\s*[,;:])+", r"\1"),  # ", ," -> ","
    (r"[,;:]\s*([.!?])", r"\1"),  # ", ." -> "."
    (r"([.!?])\s*,", r"\1"),  # "., " -> ". "
    (r"([!?])\.+", r"\1"),  # "ball?." -> "ball?"
    (r"^\s*[,;:.]\s*", ""),  # leading punctuation
    (r"[ \t]{2,}", " "),
)


def spoken_citation(citation: str) -> str:
    """A citation as read aloud, in parentheses (read later as a pause).

    >>> spoken_citation("( AN #58, #62 )")
    ' (from Alignment Newsletter 58 and 62)'
    >>> spoken_citation("(AN #58, MLSN #3)")
    ' (from Alignment Newsletter 58 and ML Safety Newsletter 3)'
    """
    groups: list[tuple[str, list[str]]] = []
    for name, number in re.findall(r"(AN|MLSN)?\s*#\s*(\d+)", citation):
        if name and (not groups or groups[-1][0] != name):
            groups.append((name, []))
        groups[-1][1].append(number)
    parts = [f"{NEWSLETTERS[name]} {_spoken_list(numbers)}" for name, numbers in groups]
    return f" (from {_spoken_list(parts)})"


def _compile(citation: str | Callable[[re.Match[str]], str]) -> tuple:
    """(pattern, replacement, guards) of each rule in SPOKEN (`_guard`)."""
    table = []
    for p, r in SPOKEN:
        pattern = re.compile(p, re.MULTILINE)
        table.append((pattern, citation if p == CITATION else r, _GUARDS[p]))
    return tuple(table)


def _guard(pattern: re.Pattern[str]) -> tuple[re.Pattern[str], ...]:
    """Patterns each of which every match of `pattern` matches a piece of (the two
    rarest of the literals, runs of literals and classes it must match), so that text
    without one of them is known to be left as it is without running the rule: a rule's
    scan costs many times a guard's. () when the parse of `pattern` shows none, or only
    common characters (white space, any letter).

    >>> [g.pattern for g in _guard(re.compile(r"(?<![\\w.])(\\d+)[kK]\\b"))]
    ['[kK]', '[\\\\d]']
    >>> [g.pattern for g in _guard(re.compile(r"\\s*(?:\\.\\.\\.|…)\\s*"))]
    ['\\\\.\\\\.\\\\.|…']
    >>> _guard(re.compile(r"\\s+")), _guard(re.compile(r"[^<>]+"))
    ((), ())
    """
    try:  # Python's own parser of regular expressions, internal: at worst, no guard
        from re import _parser

        found = _candidates(_parser.parse(pattern.pattern, pattern.flags).data)
    except Exception:  # a change in the internals only costs speed
        return ()
    rarest = sorted({(c, tuple(sources)) for c, sources in found if c < _COMMON})[:2]
    return tuple(re.compile("|".join(sources), pattern.flags) for _, sources in rarest)


# How common a character is in an issue's text, for `_guard` to pick the rarest that a
# rule needs: white space everywhere, a letter often, a digit less, other characters
# (punctuation, symbols, letters beyond ASCII) seldom. A guard this common is none.
_COMMON = 1000
_CATEGORY_SOURCE = {"CATEGORY_DIGIT": (r"\d", 100), "CATEGORY_SPACE": (r"\s", _COMMON)}
_CATEGORY_SOURCE |= {"CATEGORY_WORD": (r"\w", _COMMON)}


def _commonness(first: int, last: int) -> int:
    """How common the characters `first` to `last` (code points) are, together."""
    ascii_range = range(first, min(last, 0x7F) + 1)
    return sum(
        _COMMON if chr(c).isspace() else 30 if chr(c).isalpha() else 10 if chr(c).isdigit() else 3
        for c in ascii_range
    )


def _candidates(items: list) -> list[tuple[int, list[str]]]:
    """(commonness, sources) of each element that a sequence of parsed pattern items
    must match: a run of literals ("min"), a character's class (a literal, a class, a
    group or a repeat of at least once of such), or alternatives that each are."""
    found = [*_literal_runs(items), *(_needed_one(_name(op), arg) for op, arg in items)]
    return [f for f in found if f is not None]


def _needed(items: list) -> tuple[int, list[str]] | None:
    """The rarest of `_candidates`, or None."""
    return min(_candidates(items), key=lambda found: found[0], default=None)


def _name(constant: object) -> str:
    """The name of one of the parser's constants ("LITERAL", "CATEGORY_DIGIT")."""
    return getattr(constant, "name", str(constant))


def _literal_runs(items: list) -> Iterator[tuple[int, list[str]]]:
    """Each run of two or more literals in a sequence, rarer than any of its characters."""
    run: list[int] = []
    for op, arg in [*items, (None, None)]:
        if _name(op) == "LITERAL":
            run.append(arg)
            continue
        if len(run) >= 2:
            source = "".join(re.escape(chr(c)) for c in run)
            yield min(_commonness(c, c) for c in run) // 10, [source]
        run = []


def _needed_one(op: str, arg) -> tuple[int, list[str]] | None:
    """(commonness, sources) of what one parsed item must match, or None."""
    if op == "LITERAL":
        return _commonness(arg, arg), [re.escape(chr(arg))]
    if op == "IN":
        return _class_source(arg)
    if op == "SUBPATTERN":
        _, add_flags, del_flags, items = arg
        return None if add_flags or del_flags else _needed(items)  # "(?i:...)": none
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        least, _, items = arg
        return _needed(items) if least >= 1 else None
    if op == "BRANCH":
        each = [_needed(items) for items in arg[1]]
        if any(found is None for found in each):
            return None
        return sum(found[0] for found in each), [src for found in each for src in found[1]]
    return None  # anchors, lookarounds, references, any character


def _class_source(items: list) -> tuple[int, list[str]] | None:
    """(commonness, [source]) of a parsed character class, as `_needed` returns it; None
    for a negated class (as common as any)."""
    parts, commonness = [], 0
    for op, arg in items:
        op = _name(op)
        if op == "LITERAL":
            parts.append(re.escape(chr(arg)))
            commonness += _commonness(arg, arg)
        elif op == "RANGE":
            parts.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
            commonness += _commonness(*arg)
        elif op == "CATEGORY" and _name(arg) in _CATEGORY_SOURCE:
            source, common = _CATEGORY_SOURCE[_name(arg)]
            parts.append(source)
            commonness += common
        else:  # NEGATE, and categories that are negations
            return None
    return commonness, [f"[{''.join(parts)}]"]


# The guards of each rule, made once for both tables.
_GUARDS = {p: _guard(re.compile(p, re.MULTILINE)) for p, _ in SPOKEN}
# The compiled table for each value of the `citations` setting.
_SPOKEN = {
    "drop": _compile(""),
    "read": _compile(lambda m: spoken_citation(m.group(0))),
}
CITATION_MODES = tuple(_SPOKEN)


def to_speech(text: str, *, citations: str = "drop") -> str:
    """Rewrite text so that it reads well aloud; `citations` is "drop" or "read".

    >>> to_speech("This is what ( AN #58 ) said, e.g. here . In particular")
    'This is what said, for example here. In particular'
    >>> to_speech("This is what ( AN #58 ) said.", citations="read")
    'This is what, from Alignment Newsletter 58, said.'
    >>> to_speech("See https://example.org/x for ~1 million images (Smith et al).")
    'See for about 1 million images, Smith and colleagues.'
    """
    try:
        table = _SPOKEN[citations]
    except KeyError:
        raise ValueError(f"citations must be one of {CITATION_MODES}, not {citations!r}") from None
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text):
        for pattern, replacement, guards in table:
            if all(guard.search(paragraph) for guard in guards):
                paragraph = pattern.sub(replacement, paragraph)
        paragraph = paragraph.strip(" ,;:")
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def _sentence(text: str) -> str:
    """`text` ending with sentence punctuation."""
    text = text.strip()
    return text if not text or text[-1] in ".!?" else f"{text}."


def spoken_authors(authors: str) -> str:
    """Authors as read aloud: "A, B et al" -> "A, B and colleagues".

    >>> spoken_authors("Andrew Ilyas, Shibani Santurkar et al")
    'Andrew Ilyas, Shibani Santurkar and colleagues'
    >>> spoken_authors("Asya Bergal and Robert Long")
    'Asya Bergal and Robert Long'
    """
    return re.sub(r",?\s+et al\.?$", " and colleagues", authors.strip())


# --------------------------------------------------------------------------- lexicon


# Words espeak-ng misreads in running text ("ICML" is "ikmel", "arXiv" is "ar ziv"),
# respelled as it reads them right: letters with dots between them, and no dot after
# the last (which before a capital would end the sentence); a first "A" as "Eigh " (after
# "of" or "at" it reads "A.I.S.I" as "a dot I S I").
# A show's own lexicon entry for one of these words wins.
ENGINE_LEXICON = (
    ("AAAI", "triple A.I"),
    ("AGI", "Eigh G.I"),  # "ah-ghee" at a sentence's start
    ("AISI", "Eigh I.S.I"),
    ("AMA", "Eigh M.A"),  # "ama" at a clause's end, as IPO is "eye-po"
    ("ASI", "Eigh S.I"),
    ("ASML", "Eigh S.M.L"),
    ("CAIS", "C.A.I.S"),
    ("CIRL", "C.I.R.L"),
    ("EMNLP", "E.M.N.L.P"),
    ("ET", "E.T"),  # Eastern Time, which at a clause's end it reads "et"
    ("FLI", "F.L.I"),
    ("GGUF", "G.G.U.F"),
    ("ICCV", "I.C.C.V"),
    ("ICLR", "I.C.L.R"),
    ("ICML", "I.C.M.L"),
    ("IPO", "I.P.O"),
    ("IV", "I.V"),  # an IV drip, which it reads "roman four" (a numeral after a word: _roman)
    ("Kubernetes", "Koobernetees"),  # not "kyoober-neets"
    ("LLaMA", "llama"),
    ("MoE", "M.O.E"),  # a mixture of experts, not "mo E"
    ("NIH", "N.I.H"),
    ("NeurIPS", "Neurips"),
    ("Nginx", "engine X"),
    ("OSTP", "O.S.T.P"),
    ("RLAIF", "R.L.A.I.F"),
    ("SaaS", "sass"),
    ("arXiv", "archive"),
)


# A year from 1100 to 1999 where a year is meant ("in 1997", "(1998)", "1985-1990",
# "1985 to 1990", which is what the script makes of "1985-1990" and "1985–1990"; not
# "of 1536" or "to 1250", which are more often counts), which espeak-ng reads "nineteen
# hundred ninety-seven": "19 97" it reads as people say it.
_YEAR = re.compile(
    r"(?:(?<=\()|(?<=\d[–-])|(?P<before>\b(?i:in|since|until|till|before|after|circa|year"
    r"|during) )|(?<![\w.,])(?=\d{4}[–-]\d{2,4}\b)"
    r"|(?<![\w.,])(?=1[1-9]\d\d to 1[1-9]\d\d\b)|(?<=\b1[1-9]\d\d to ))"
    r"(?P<century>1[1-9])(?P<decade>\d)(?P<unit>\d)\b(?![.,]\d)"
)


def _spoken_year(m: re.Match[str]) -> str:
    """ "1997" -> "19 97", "1905" -> "19 oh 5"; "1900" as it is ("nineteen hundred")."""
    year = f"{m['century']}{m['decade']}{m['unit']}"
    if m["decade"] != "0":
        year = f"{m['century']} {m['decade']}{m['unit']}"
    elif m["unit"] != "0":
        year = f"{m['century']} oh {m['unit']}"
    return f"{m['before'] or ''}{year}"


# espeak-ng drops the "s" of an acronym's plural at the end of a clause ("Big LLMs,"
# is read "big L L M,"; inside one it reads "LLMs" right): the plural of its last
# letter's name is heard ("LL ems,"). Not "AIs", whose "A" would be read as the article.
_LETTER_PLURALS = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (
            *("A's", "bees", "sees", "dees", "ees", "efs", "gees", "aitches", "eyes", "jays"),
            *("kays", "els", "ems", "ens", "ohs", "pees", "cues", "ars", "esses", "tees"),
            *("yous", "vees", "double-yous", "exes", "whys", "zees"),
        ),
        strict=True,
    )
)
_CLAUSE_END_PLURAL = re.compile(
    r"(?<![\w.'’-])(?!A[A-Z]s)(?P<first>[A-Z]{1,5})(?P<last>[A-Z])s(?=[.,;:!?)]|\s*\n|\s*$)"
)


def _spoken_plural(m: re.Match[str]) -> str:
    return f"{m['first']} {_LETTER_PLURALS[m['last']]}"


def spoken_text(script: str, lexicon: Iterable[tuple[str, str]]) -> str:
    """What is synthesized for `script`: the show's `lexicon` applied, over
    `ENGINE_LEXICON`, years written as espeak-ng reads them right, and so are acronyms'
    plurals at the end of a clause.

    >>> spoken_text("CIRL, at ICML, by Rohin.", [("Rohin", "Roe-hin")])
    'C.I.R.L, at I.C.M.L, by Roe-hin.'
    >>> spoken_text("At ICML.", [("ICML", "Icky mel")])
    'At Icky mel.'
    >>> spoken_text("Deep Blue (1997) won in 1997, as in 1905, not in 1900 or 1500 steps.", ())
    'Deep Blue (19 97) won in 19 97, as in 19 oh 5, not in 1900 or 1500 steps.'
    >>> spoken_text("LLMs need GPUs, TPUs or VMs.", ())
    'LLMs need GP yous, TPUs or V ems.'
    """
    text = apply_lexicon(script, (dict(ENGINE_LEXICON) | dict(lexicon)).items())
    return _CLAUSE_END_PLURAL.sub(_spoken_plural, _YEAR.sub(_spoken_year, text))


def apply_lexicon(text: str, lexicon: Iterable[tuple[str, str]]) -> str:
    """Replace whole, case-sensitive words by their respellings.

    >>> apply_lexicon("Rohin read GPT-3 to Rohinx.", [("Rohin", "Roe-hin"), ("GPT-3", "GPT three")])
    'Roe-hin read GPT three to Rohinx.'
    """
    for word, respelling in sorted(lexicon, key=lambda e: -len(e[0])):
        text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", respelling, text)
    return text


def lexicon_words_in(text: str, lexicon: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The lexicon's words that occur in `text` (as `apply_lexicon` would match them)."""
    return tuple(
        word for word, _ in lexicon if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)
    )


# --------------------------------------------------------------------------- segments


@dataclass(frozen=True)
class ScriptOptions:
    """What the script stage needs from the show settings.

    `citations`: "drop" leaves citations of earlier issues ("( AN #58 )") out of the
    speech; "read" reads them ("from Alignment Newsletter 58").
    """

    show_title: str = "Newsletter Audio Edition"
    citations: str = "drop"


def make_segments(issue: Issue, options: ScriptOptions = ScriptOptions()) -> tuple[Segment, ...]:
    """The issue's segments in reading order, each with its spoken script."""
    drafts: list[tuple[str, str, str, str | None, str | None, tuple[Item, ...], str]] = []
    drafts.append(("intro", "Introduction", "intro", None, None, (), _intro(issue, options)))
    for item in issue.highlights:
        drafts.append(
            (
                "highlight",
                item.title,
                item.title,
                issue.highlights_heading,
                None,
                (item, *item.responses),
                _highlight(item, options, lead="Highlight" if _has_highlights(issue) else None),
            )
        )
    for section in issue.sections:
        if section.items:
            drafts.append(
                (
                    "section",
                    section.name,
                    section.name,
                    section.name,
                    None,
                    _with_responses(section.items),
                    _section(section.name, section.items, options),
                )
            )
        for sub in section.subsections:
            if sub.items:
                title = f"{section.name}: {sub.name}" if section.name else sub.name
                drafts.append(
                    (
                        "section",
                        title,
                        sub.name,
                        section.name or None,
                        sub.name,
                        _with_responses(sub.items),
                        _section(title, sub.items, options),
                    )
                )
    drafts.append(("outro", "Closing", "outro", None, None, (), _outro(issue, options)))
    width = max(2, len(str(len(drafts))))
    segments = []
    for n, (kind, title, short, section, subsection, items, text) in enumerate(drafts, start=1):
        slug = slugify(short, max_words=5, max_length=40)
        seg_id = (
            f"{n:0{width}d}-{kind}"
            if kind in ("intro", "outro")
            else f"{n:0{width}d}-{kind}-{slug}"
        )
        segments.append(
            Segment(
                id=seg_id.rstrip("-"),
                kind=kind,
                title=title,
                script=text,
                section=section,
                subsection=subsection,
                items=items,
            )
        )
    return tuple(segments)


def structure(issue: Issue, segments: Sequence[Segment]) -> dict:
    """The issue's structure as plain data (what `segments --json` prints).

    The newsletter's title, number and name, and per segment its id, kind, title,
    section, subsection and items (title, authors, summarizer, url).
    """
    return {
        "title": issue.title,
        "number": issue.number,
        "newsletter": issue.newsletter,
        "segments": [
            {
                "id": s.id,
                "kind": s.kind,
                "title": s.title,
                "section": s.section,
                "subsection": s.subsection,
                "items": [
                    {
                        "title": i.title,
                        "authors": i.authors,
                        "summarizer": i.summarizer,
                        "url": i.url,
                    }
                    for i in s.items
                ],
            }
            for s in segments
        ],
    }


def _with_responses(items: Sequence[Item]) -> tuple[Item, ...]:
    return tuple(x for item in items for x in (item, *item.responses))


def newsletter_name(issue: Issue, options: ScriptOptions) -> str:
    """The newsletter's name, or the show's title when the issue does not say."""
    return issue.newsletter or options.show_title


def episode_title(issue: Issue, options: ScriptOptions = ScriptOptions()) -> str:
    """The episode's title: "Alignment Newsletter #76: How dataset size affects robustness".

    Issues without a title line are named after their first highlight (or item).
    """
    name = newsletter_name(issue, options)
    head = f"{name} #{issue.number}" if issue.number is not None else name
    subject = issue.title or next((i.title for i in _all_items(issue)), None)
    return f"{head}: {subject}" if subject else head


def episode_description(issue: Issue, options: ScriptOptions = ScriptOptions()) -> str:
    """A short description: the highlights and the sections the episode covers."""
    parts = []
    if issue.title:
        parts.append(_sentence(issue.title))
    if issue.highlights:
        lead = "Highlights" if _has_highlights(issue) else "In this issue"
        titles = "; ".join(i.title.rstrip(".") for i in issue.highlights)
        parts.append(_sentence(f"{lead}: {titles}"))
    names = [s.name for s in issue.sections if s.name and _has_items(s)]
    if names:
        lead = "Also in this issue" if issue.highlights else "In this issue"
        parts.append(_sentence(f"{lead}: " + ", ".join(names)))
    return " ".join(parts) or _sentence(episode_title(issue, options))


def _all_items(issue: Issue) -> list[Item]:
    items = list(issue.highlights)
    for section in issue.sections:
        items.extend(section.items)
        for sub in section.subsections:
            items.extend(sub.items)
    return items


def _intro(issue: Issue, options: ScriptOptions) -> str:
    name = newsletter_name(issue, options)
    opening = f"{name}, issue {issue.number}" if issue.number is not None else name
    if issue.title:
        opening = f"{opening}: {issue.title}"
    paragraphs = [_sentence(opening), *issue.preamble]
    overview = _overview(issue)
    if overview:
        paragraphs.append(overview)
    elif not issue.preamble:
        paragraphs.append("This issue has no items.")
    return _spoken_paragraphs(paragraphs, options)


# How an issue's own words begin to say what it covers.
_IN_THIS_ISSUE = ("in this issue", "in today's", "in today’s", "in this week's", "in this week’s")


def _overview(issue: Issue) -> str:
    """What the episode covers: "In the highlights: A and B. Then: X, Y, and Z.", or "In
    this issue: X and Y." ("In this episode", when the issue's own words said "In this
    issue" or "In today's ...")."""
    parts = []
    said = any(p.casefold().startswith(_IN_THIS_ISSUE) for p in issue.preamble)
    in_this = "In this episode" if said else "In this issue"
    titles = [i.title.rstrip(".") for i in issue.highlights]
    if titles:
        lead = "In the highlights" if _has_highlights(issue) else in_this
        parts.append(_sentence(f"{lead}: " + _spoken_list(titles)))
    names = [s.name for s in issue.sections if s.name and _has_items(s)]
    if names:
        parts.append(_sentence(f"{'Then' if titles else in_this}: " + _spoken_list(names)))
    return " ".join(parts)


def _has_items(section: Section) -> bool:
    """Whether a section has anything to read, and so a chapter (a heading with nothing
    under it, such as a sponsor's "Get your guide", has neither)."""
    return bool(section.items) or any(sub.items for sub in section.subsections)


def _has_highlights(issue: Issue) -> bool:
    """Whether the issue's first items stand out as highlights: under a heading that
    says so, or before its sections; not when they are all its items (a list of five)."""
    return bool(issue.highlights) and (issue.highlights_heading is not None or bool(issue.sections))


def _spoken_paragraphs(paragraphs: Sequence[str], options: ScriptOptions) -> str:
    """A script of `paragraphs` read aloud, each ending as a sentence does, so that the
    voice falls after a line without punctuation ("Together with Acme Cloud") or with a
    comma or colon ("See you soon,", "In today's rundown:")."""
    ended = (_with_full_stop(re.sub(r"\s*[,;:]\s*$", "", p)) for p in paragraphs)  # "soon,"
    return to_speech("\n\n".join(ended), citations=options.citations)


def _with_full_stop(paragraph: str) -> str:
    """`paragraph` with a period after its last word, unless sentence punctuation
    follows that word ("interviews 💼" -> "interviews 💼.")."""
    return paragraph + "." if re.search(r"\w[^\w.!?]*$", paragraph) else paragraph


def _spoken_list(words: Sequence[str]) -> str:
    """ "a", "a and b", "a, b, and c"."""
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


def _outro(issue: Issue, options: ScriptOptions) -> str:
    name = newsletter_name(issue, options)
    which = f"{name}, issue {issue.number}" if issue.number is not None else name
    paragraphs = [*issue.closing, f"That was {which}. Thank you for listening."]
    return _spoken_paragraphs(paragraphs, options)


def _highlight(item: Item, options: ScriptOptions, lead: str | None) -> str:
    return _spoken_paragraphs(_item_paragraphs(item, lead=lead), options)


def _section(title: str, items: Sequence[Item], options: ScriptOptions) -> str:
    paragraphs = [_sentence(title)]
    for item in items:
        paragraphs.extend(_item_paragraphs(item))
    return _spoken_paragraphs(paragraphs, options)


def _item_paragraphs(item: Item, lead: str | None = None) -> list[str]:
    """An item read aloud: "Title, by A and colleagues. Summarized by X." then its text."""
    heading = item.title.rstrip(".:")
    if lead:
        heading = f"{lead}: {heading}"
    if item.authors:
        heading = f"{heading}, by {spoken_authors(item.authors)}"
    paragraphs = [_sentence(heading)]
    if item.summarizer:
        paragraphs[0] += f" Summarized by {item.summarizer}."
    if item.summary:
        paragraphs.extend(item.summary.split("\n\n"))
    for opinion in item.opinions:
        paragraphs.append(f"{opinion.author}'s opinion: {opinion.text}")
    for response in item.responses:
        paragraphs.extend(_item_paragraphs(response))
    return paragraphs


def voice_parts(script: str) -> tuple[tuple[str, str], ...]:
    r"""The script as runs of ("narrator" | "opinion", text), in order, for two voices.

    An opinion is a paragraph that starts with "Name's opinion:" (also "Name’s",
    "Dan H's", "Rohin's and Flo's", "Rohin and Flo's"); only that paragraph, since the
    plain text does not show where a multi-paragraph opinion ends. Paragraphs are
    separated by blank lines; consecutive paragraphs of one role form one run, still
    separated by a blank line.

    >>> for role, text in voice_parts("T, by A.\n\nSummary.\n\nRohin's opinion: Good.\n\nNext."):
    ...     print(role, repr(text))
    narrator 'T, by A.\n\nSummary.'
    opinion "Rohin's opinion: Good."
    narrator 'Next.'
    >>> voice_parts("  \n\n")
    ()
    """
    name = r"[A-Z][\w.\-]*(?: [A-Z][\w.\-]*){0,2}"
    opinion = rf"(?:{name}(?:['’]s)?(?:,\s*|,?\s+and\s+))*{name}['’]s\s+opinions?\s*:"
    runs: list[tuple[str, list[str]]] = []
    for paragraph in re.split(r"\n\s*\n", script):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        role = "opinion" if re.match(opinion, paragraph) else "narrator"
        if runs and runs[-1][0] == role:
            runs[-1][1].append(paragraph)
        else:
            runs.append((role, [paragraph]))
    return tuple((role, "\n\n".join(paragraphs)) for role, paragraphs in runs)
