"""feed and feedext: the RSS feed, read back with real podcast parsers and XPath."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import subprocess
import sys
import uuid
from dataclasses import replace
from email.utils import parsedate_to_datetime

import feedparser
import podcastparser
import pytest
from feedgen.feed import FeedGenerator
from lxml import etree

from audio import feedext
from audio.config import Config
from audio.errors import ConfigError
from audio.feed import EMPTY_FEED_DATE, episode_url, feed_url, render_feed, show_notes
from audio.model import Chapter, Episode

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "psc": "http://podlove.org/simple-chapters",
}
CEST = dt.timezone(dt.timedelta(hours=2), "CEST")
PDT = dt.timezone(dt.timedelta(hours=-7), "PDT")

CONFIG = Config(
    title="Alignment Newsletter (audio)",
    description="Each issue of the Alignment Newsletter, read aloud, with chapters.",
    author="Rohin Shah",
    email="editor@example.org",
    link="https://example.org/newsletter",
    base_url="https://pod.example.org/an/",
    language="en",
    category="Technology",
)
IMAGE = "https://pod.example.org/an/cover.png"
SPECIAL_TITLE = "Tom & Jerry <3 ]]> Stuhlmüller 🎧"

AN_101 = Episode(
    slug="an-101",
    title="  Why we should rigorously measure and forecast AI progress ",
    description="Danny Hernandez on measuring progress & what it implies.",
    guid="urn:uuid:7d3c6f0e-2c53-5a4e-9a53-6b1c5a0e0101",
    published=dt.datetime(2020, 5, 20, 17, 0, tzinfo=CEST),
    mp3="an-101.mp3",
    size=12_345_678,
    duration_ms=1_234_567,
    chapters=(
        Chapter("00-intro", "Intro", 0, 30_500),
        Chapter(
            "01-highlight-forecasting",
            "Forecasting AI progress",
            30_500,
            900_999,
            url="https://openai.com/blog/ai-and-efficiency/?a=1&b=2",
        ),
        Chapter("02-outro", "Outro", 900_999, 1_234_567),
    ),
    number=101,
    newsletter="Alignment Newsletter",
)
AN_102 = Episode(
    slug="an-102",
    title=SPECIAL_TITLE,
    description="Müller & friends on reward learning.",
    guid="urn:uuid:7d3c6f0e-2c53-5a4e-9a53-6b1c5a0e0102",
    published=dt.datetime(2020, 5, 27, 9, 30, tzinfo=PDT),
    mp3="an-102.mp3",
    size=45_000_000,
    duration_ms=3_725_500,
    chapters=(
        Chapter("00-intro", "Intro", 0, 45_000),
        Chapter("01-highlight", "Highlight: " + SPECIAL_TITLE, 45_000, 3_600_000),
        Chapter("02-outro", "Outro", 3_600_000, 3_725_500),
    ),
    number=102,
)
SPECIAL = Episode(
    slug="special-q-and-a",
    title="A special episode",
    description="Questions and answers.",
    guid="urn:uuid:7d3c6f0e-2c53-5a4e-9a53-6b1c5a0e0999",
    published=dt.datetime(2020, 6, 3, 12, 0, tzinfo=dt.UTC),
    mp3="special q&a.mp3",
    size=1_000,
    duration_ms=2_500,
)
EPISODES = (AN_101, AN_102, SPECIAL)
NEWEST_FIRST = (SPECIAL, AN_102, AN_101)


@pytest.fixture(scope="module")
def xml() -> bytes:
    return render_feed(CONFIG, EPISODES, image_url=IMAGE)


@pytest.fixture(scope="module")
def root(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def _text(root: etree._Element, path: str) -> str:
    (value,) = root.xpath(f"{path}/text()", namespaces=NS)
    return str(value)


# --------------------------------------------------------------------------- podcastparser


def test_podcastparser_reads_the_channel(xml):
    podcast = podcastparser.parse(feed_url(CONFIG), io.BytesIO(xml))

    assert podcast["title"] == CONFIG.title
    assert podcast["link"] == CONFIG.link
    assert podcast["description"] == CONFIG.description
    assert podcast["cover_url"] == IMAGE
    assert podcast["language"] == "en"
    assert podcast["itunes_author"] == "Rohin Shah"
    assert podcast["itunes_owner"] == {"name": "Rohin Shah", "email": "editor@example.org"}
    assert podcast["itunes_categories"] == [["Technology"]]
    assert podcast["explicit"] is False


def test_podcastparser_reads_episodes_newest_first(xml):
    episodes = podcastparser.parse(feed_url(CONFIG), io.BytesIO(xml))["episodes"]

    assert [e["guid"] for e in episodes] == [e.guid for e in NEWEST_FIRST]
    assert [e["title"] for e in episodes] == [
        "A special episode",
        SPECIAL_TITLE,
        "Why we should rigorously measure and forecast AI progress",
    ]
    assert [e["total_time"] for e in episodes] == [2, 3726, 1235]
    assert [e["published"] for e in episodes] == [
        int(e.published.timestamp()) for e in NEWEST_FIRST
    ]
    assert [e.get("number") for e in episodes] == [None, 102, 101]
    assert [e["link"] for e in episodes] == [
        "https://pod.example.org/an/special-q-and-a/",
        "https://pod.example.org/an/an-102/",
        "https://pod.example.org/an/an-101/",
    ]
    assert episodes[2]["enclosures"] == [
        {
            "url": "https://pod.example.org/an/an-101/an-101.mp3",
            "file_size": 12_345_678,
            "mime_type": "audio/mpeg",
        }
    ]
    assert episodes[0]["enclosures"][0]["url"] == (
        "https://pod.example.org/an/special-q-and-a/special%20q%26a.mp3"
    )


def test_podcastparser_reads_the_show_notes(xml):
    # Apple and Spotify read chapter times only from the description.
    episodes = podcastparser.parse(feed_url(CONFIG), io.BytesIO(xml))["episodes"]

    assert episodes[1]["description"].splitlines() == [
        "Müller & friends on reward learning.",
        "",
        "00:00:00 Intro",
        "00:00:45 Highlight: " + SPECIAL_TITLE,
        "01:00:00 Outro",
    ]
    assert episodes[0]["description"] == "Questions and answers."


def _psc_as_podcastparser_reads_it(episode: Episode) -> list[dict]:
    """podcastparser's `chapters`: whole seconds (it drops the fraction), href if any."""
    return [
        {"start": c.start_ms // 1000, "title": c.title} | ({"href": c.url} if c.url else {})
        for c in episode.chapters
    ]


def test_podcastparser_reads_the_simple_chapters(xml):
    episodes = podcastparser.parse(feed_url(CONFIG), io.BytesIO(xml))["episodes"]

    assert "chapters" not in episodes[0]  # no chapters, no psc:chapters
    assert episodes[1]["chapters"] == _psc_as_podcastparser_reads_it(AN_102)
    assert episodes[2]["chapters"] == _psc_as_podcastparser_reads_it(AN_101)
    assert episodes[2]["chapters"][1]["href"] == (
        "https://openai.com/blog/ai-and-efficiency/?a=1&b=2"
    )


# --------------------------------------------------------------------------- feedparser


def test_feedparser_reads_the_feed_without_complaint(xml):
    parsed = feedparser.parse(xml)

    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.namespaces["itunes"] == NS["itunes"]
    assert parsed.namespaces["podcast"] == NS["podcast"]
    assert parsed.feed.title == CONFIG.title
    assert parsed.feed.author == "Rohin Shah"
    assert parsed.feed.image.href == IMAGE
    # feedparser maps only "yes"/"clean"; Apple's "false" comes back as None.
    assert not parsed.feed.itunes_explicit
    assert parsed.feed.podcast_guid == feedext.podcast_guid(feed_url(CONFIG))


def test_feedparser_reads_the_items(xml):
    entries = feedparser.parse(xml).entries

    assert [e.id for e in entries] == [e.guid for e in NEWEST_FIRST]
    assert [e.guidislink for e in entries] == [False, False, False]
    assert [e.title for e in entries][1] == SPECIAL_TITLE
    assert [e.itunes_duration for e in entries] == ["2", "3726", "1235"]
    assert [e.get("itunes_episode") for e in entries] == [None, "102", "101"]
    assert [
        (enclosure.href, enclosure.length, enclosure.type)
        for e in entries
        for enclosure in e.enclosures
    ] == [
        ("https://pod.example.org/an/special-q-and-a/special%20q%26a.mp3", "1000", "audio/mpeg"),
        ("https://pod.example.org/an/an-102/an-102.mp3", "45000000", "audio/mpeg"),
        ("https://pod.example.org/an/an-101/an-101.mp3", "12345678", "audio/mpeg"),
    ]
    assert entries[1].podcast_chapters == {
        "url": "https://pod.example.org/an/an-102/chapters.json",
        "type": "application/json+chapters",
    }
    assert entries[1].published_parsed[:6] == (2020, 5, 27, 16, 30, 0)


def test_feedparser_reads_the_simple_chapters_to_the_millisecond(xml):
    entries = feedparser.parse(xml).entries

    assert "psc_chapters" not in entries[0]
    for entry, episode in zip(entries[1:], (AN_102, AN_101), strict=True):
        assert entry.psc_chapters.version == "1.2"
        assert [(c.start_parsed, c.title, c.get("href")) for c in entry.psc_chapters.chapters] == [
            (dt.timedelta(milliseconds=c.start_ms), c.title, c.url) for c in episode.chapters
        ]


# --------------------------------------------------------------------------- XPath


def test_podcast_guid_follows_the_spec():
    # The spec's own example (docs/tags/guid.md).
    assert (
        feedext.podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml")
        == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    )
    assert feedext.podcast_guid("http://podnews.net/rss//") == (
        "9b024349-ccf0-5f69-a609-6b82873eab3c"
    )


def test_channel_has_podcast_guid_and_locked(root):
    seed = "pod.example.org/an/feed.xml"
    want = str(uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), seed))

    assert _text(root, "channel/podcast:guid") == want
    assert _text(root, "channel/podcast:locked") == "no"
    assert root.xpath("channel/podcast:locked/@owner", namespaces=NS) == ["editor@example.org"]


def test_channel_links_dates_and_itunes_tags(root):
    assert _text(root, "channel/link") == CONFIG.link
    assert root.xpath("channel/atom:link[@rel='self']/@href", namespaces=NS) == [
        "https://pod.example.org/an/feed.xml"
    ]
    newest = parsedate_to_datetime(_text(root, "channel/lastBuildDate"))
    assert newest == SPECIAL.published
    assert parsedate_to_datetime(_text(root, "channel/pubDate")) == SPECIAL.published
    assert _text(root, "channel/itunes:explicit") == "false"
    assert root.xpath("channel/itunes:image/@href", namespaces=NS) == [IMAGE]
    assert _text(root, "channel/image/url") == IMAGE
    assert root.xpath("channel/itunes:category/@text", namespaces=NS) == ["Technology"]


def test_explicit_show_says_true():
    root = etree.fromstring(render_feed(replace(CONFIG, explicit=True), EPISODES))

    assert root.xpath("channel/itunes:explicit/text()", namespaces=NS) == ["true"]
    assert podcastparser.parse("f", io.BytesIO(etree.tostring(root)))["explicit"] is True


def test_items_carry_guid_enclosure_and_chapters(root):
    items = root.xpath("channel/item")

    assert [i.xpath("guid/@isPermaLink")[0] for i in items] == ["false"] * 3
    assert [i.xpath("podcast:chapters/@url", namespaces=NS) for i in items] == [
        [],  # no chapters, no chapters file
        ["https://pod.example.org/an/an-102/chapters.json"],
        ["https://pod.example.org/an/an-101/chapters.json"],
    ]
    assert items[1].xpath("podcast:chapters/@type", namespaces=NS) == ["application/json+chapters"]
    assert [parsedate_to_datetime(i.findtext("pubDate")) for i in items] == [
        e.published for e in NEWEST_FIRST
    ]
    assert items[1].findtext("pubDate") == "Wed, 27 May 2020 09:30:00 -0700"
    assert items[1].findtext("description") == show_notes(AN_102)
    assert items[0].xpath("itunes:episode", namespaces=NS) == []


def test_items_carry_podlove_simple_chapters(root):
    items = root.xpath("channel/item")

    assert root.nsmap["psc"] == NS["psc"]  # declared once, on <rss>
    assert [len(i.xpath("psc:chapters", namespaces=NS)) for i in items] == [0, 1, 1]
    (chapters,) = items[2].xpath("psc:chapters", namespaces=NS)
    assert chapters.get("version") == "1.2"
    assert chapters.getprevious().tag == f"{{{NS['podcast']}}}chapters"
    assert [dict(c.attrib) for c in chapters] == [
        {"start": "00:00:00.000", "title": "Intro"},
        {
            "start": "00:00:30.500",
            "title": "Forecasting AI progress",
            "href": "https://openai.com/blog/ai-and-efficiency/?a=1&b=2",
        },
        {"start": "00:15:00.999", "title": "Outro"},
    ]
    titles = items[1].xpath("psc:chapters/psc:chapter/@title", namespaces=NS)
    assert titles == ["Intro", "Highlight: " + SPECIAL_TITLE, "Outro"]
    assert items[1].xpath("psc:chapters/psc:chapter/@start", namespaces=NS)[-1] == "01:00:00.000"


def test_simple_chapters_are_tidied_and_time_ordered():
    episode = replace(
        SPECIAL,
        chapters=(
            Chapter("b", "Second\n  part", 1_500, 2_500, url="mailto:x@example.org"),
            Chapter("a", "  ", 0, 1_500, url="https://example.org/a"),
        ),
    )
    root = etree.fromstring(render_feed(CONFIG, [episode]))

    chapters = root.xpath("channel/item/psc:chapters/psc:chapter", namespaces=NS)
    assert [dict(c.attrib) for c in chapters] == [
        {"start": "00:00:00.000", "title": "a", "href": "https://example.org/a"},
        {"start": "00:00:01.500", "title": "Second part"},
    ]


def test_special_characters_round_trip(root):
    item = root.xpath("channel/item")[1]

    assert item.findtext("title") == SPECIAL_TITLE
    assert SPECIAL_TITLE in item.findtext("description")


def test_plain_values_are_stripped_and_limited():
    long_title = " ".join(["forecasting"] * 40)
    episode = replace(SPECIAL, title=f"\t{long_title}\n")
    root = etree.fromstring(render_feed(replace(CONFIG, title="  My\x0b show \n"), [episode]))

    assert root.findtext("channel/title") == "My show"
    title = root.findtext("channel/item/title")
    assert len(title) == 255
    assert title.endswith("…")
    assert long_title.startswith(title[:-1])


def test_category_with_subcategory():
    config = replace(CONFIG, category="Society & Culture > Documentary")
    root = etree.fromstring(render_feed(config, EPISODES))

    (category,) = root.xpath("channel/itunes:category", namespaces=NS)
    assert category.get("text") == "Society & Culture"
    assert category.xpath("itunes:category/@text", namespaces=NS) == ["Documentary"]


@pytest.mark.parametrize("category", ["A > B > C", "Technology >", "> Podcasting"])
def test_bad_category_is_a_config_error(category):
    with pytest.raises(ConfigError, match="category"):
        render_feed(replace(CONFIG, category=category), EPISODES)


@pytest.mark.parametrize(
    "image_url", ["https://x.org/cover.jpeg", "https://x.org/cover.PNG", "https://x.org/c.png?v=2"]
)
def test_artwork_url_feedgen_would_drop_is_an_error(image_url):
    with pytest.raises(ConfigError, match="artwork"):
        render_feed(CONFIG, EPISODES, image_url=image_url)


def test_without_artwork_there_is_no_image():
    root = etree.fromstring(render_feed(CONFIG, EPISODES))

    assert root.xpath("channel/image | channel/itunes:image", namespaces=NS) == []


# --------------------------------------------------------------------------- determinism


def test_same_inputs_give_the_same_bytes(xml):
    assert render_feed(CONFIG, EPISODES, image_url=IMAGE) == xml


@pytest.mark.parametrize("order", list(itertools.permutations(EPISODES)))
def test_input_order_does_not_matter(xml, order):
    assert render_feed(CONFIG, order, image_url=IMAGE) == xml


def test_same_date_is_ordered_by_slug():
    twin = replace(AN_101, slug="an-100", guid="urn:uuid:twin")
    for episodes in ([AN_101, twin], [twin, AN_101]):
        root = etree.fromstring(render_feed(CONFIG, episodes))
        assert root.xpath("channel/item/guid/text()") == ["urn:uuid:twin", AN_101.guid]


def test_empty_feed_is_deterministic_and_valid():
    xml = render_feed(CONFIG, [])
    root = etree.fromstring(xml)

    assert render_feed(CONFIG, ()) == xml
    assert root.xpath("channel/item") == []
    assert parsedate_to_datetime(root.findtext("channel/lastBuildDate")) == EMPTY_FEED_DATE
    assert root.find("channel/pubDate") is None
    assert not feedparser.parse(xml).bozo


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize("base_url", ["https://pod.example.org/an/", "https://pod.example.org/an"])
def test_urls_go_under_the_base_url(base_url):
    config = replace(CONFIG, base_url=base_url)
    episode = replace(SPECIAL, slug="an-7")

    assert feed_url(config) == "https://pod.example.org/an/feed.xml"
    assert episode_url(config, episode, "chapters.json") == (
        "https://pod.example.org/an/an-7/chapters.json"
    )
    assert episode_url(config, episode, "") == "https://pod.example.org/an/an-7/"
    assert episode_url(config, episode, "Über uns #1.mp3") == (
        "https://pod.example.org/an/an-7/%C3%9Cber%20uns%20%231.mp3"
    )


# --------------------------------------------------------------------------- show notes


def _with_chapters(*starts_titles: tuple[int, str], description: str = "About.") -> Episode:
    chapters = tuple(
        Chapter(f"c{i}", title, start, start + 1) for i, (start, title) in enumerate(starts_titles)
    )
    return replace(SPECIAL, description=description, chapters=chapters)


def test_show_notes_lists_chapters_after_a_blank_line():
    episode = _with_chapters((0, "Intro"), (61_999, "Papers"), (3_725_999, "Outro"))

    assert show_notes(episode) == "About.\n\n00:00:00 Intro\n00:01:01 Papers\n01:02:05 Outro"


@pytest.mark.parametrize(
    "start_ms, stamp",
    [
        (0, "00:00:00"),
        (999, "00:00:00"),
        (59_999, "00:00:59"),
        (60_000, "00:01:00"),
        (3_599_999, "00:59:59"),
        (3_600_000, "01:00:00"),
        (36_000_000 + 61_500, "10:01:01"),
    ],
)
def test_show_notes_timestamps_are_hh_mm_ss_floored(start_ms, stamp):
    episode = _with_chapters((start_ms, "Title"), description="")

    assert show_notes(episode) == f"{stamp} Title"


def test_show_notes_keep_chapter_titles_on_one_line():
    episode = _with_chapters((0, "  Reward\nlearning\t from  humans "))

    assert show_notes(episode).splitlines()[-1] == "00:00:00 Reward learning from humans"


def test_show_notes_without_chapters_are_the_description():
    assert show_notes(replace(SPECIAL, description="  Just this.\r\n")) == "Just this."


# --------------------------------------------------------------------------- feedext


def _feed_with_extension() -> tuple[FeedGenerator, feedext.Podcast20Extension]:
    fg = FeedGenerator()
    fg.title("t")
    fg.link(href="https://example.org/")
    fg.description("d")
    return fg, feedext.register(fg)


def test_extension_writes_transcripts_and_locked_yes():
    fg, channel = _feed_with_extension()
    channel.set_locked(True)
    fe = fg.add_entry()
    fe.title("e")
    item = feedext.of_entry(fe)
    item.add_transcript("https://example.org/e/t.vtt", "text/vtt", language="en", rel="captions")
    item.add_transcript("https://example.org/e/t.html", "text/html")
    root = etree.fromstring(fg.rss_str())

    assert root.xpath("channel/podcast:locked/text()", namespaces=NS) == ["yes"]
    assert root.xpath("channel/podcast:locked/@owner", namespaces=NS) == []
    transcripts = root.xpath("channel/item/podcast:transcript", namespaces=NS)
    assert [dict(t.attrib) for t in transcripts] == [
        {
            "url": "https://example.org/e/t.vtt",
            "type": "text/vtt",
            "language": "en",
            "rel": "captions",
        },
        {"url": "https://example.org/e/t.html", "type": "text/html"},
    ]


def test_extension_writes_nothing_unset():
    fg, _ = _feed_with_extension()
    fe = fg.add_entry()
    fe.title("e")
    feedext.of_entry(fe).set_simple_chapters([])
    root = etree.fromstring(fg.rss_str())

    assert root.xpath("//podcast:* | //itunes:* | //psc:*", namespaces=NS) == []
    assert root.nsmap["podcast"] == NS["podcast"]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.set_guid("not-a-uuid"),
        lambda c: c.set_guid("917393e3-1b1e-5cef-ace4-edaa54e1f810 "),
        lambda c: c.set_locked("no"),
        lambda c: c.set_locked(False, owner="nobody"),
        lambda c: c.set_explicit("yes"),
        lambda c: c.set_explicit("true"),
        lambda c: c.set_explicit(None),
    ],
)
def test_channel_setters_reject_bad_values(call):
    _, channel = _feed_with_extension()
    with pytest.raises(ValueError):
        call(channel)


@pytest.mark.parametrize(
    "call",
    [
        lambda i: i.set_chapters("chapters.json"),
        lambda i: i.set_chapters("ftp://example.org/chapters.json"),
        lambda i: i.set_chapters("https://example.org/chapters.json", "json"),
        lambda i: i.add_transcript("/t.vtt", "text/vtt"),
        lambda i: i.add_transcript("https://example.org/t.vtt", "vtt"),
        lambda i: i.add_transcript("https://example.org/t.vtt", "text/vtt", rel="subtitles"),
        lambda i: i.add_transcript("https://example.org/t.vtt", "text/vtt", language="English"),
        lambda i: i.set_simple_chapters([Chapter("a", "A", 10, 20), Chapter("b", "B", 5, 10)]),
        lambda i: i.set_simple_chapters([Chapter("a", " ", 0, 20)]),
        lambda i: i.set_simple_chapters([Chapter("a", "A", -1, 20)]),
        lambda i: i.set_simple_chapters([Chapter("a", "A", 0, 20, url="/relative")]),
    ],
)
def test_item_setters_reject_bad_values(call):
    fg, _ = _feed_with_extension()
    item = feedext.of_entry(fg.add_entry())
    with pytest.raises(ValueError):
        call(item)


def test_feedgen_and_lxml_are_imported_only_to_make_a_feed():
    # A build's planning imports the pipeline, and waits for every import it makes; the
    # feed is made after the speech, and feed.preload imports these while workers speak.
    heavy = ("feedgen", "lxml", "audio.feedext", "audio.check")
    code = (
        "import sys, audio.pipeline, audio.feed\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
        "audio.feed.preload()\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "['feedgen', 'lxml', 'audio.feedext']"]
