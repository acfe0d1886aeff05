"""Mail (ARCHITECTURE.md, Mail): rendering in en/de/fr with the language's dates and money,
escaping of every customer-supplied value, the raw MIME SES is given, the record of every send,
and the outbox: an item in its cause's transaction, delivered at least once and recorded once -
two mailers racing, a failed SES send left pending and delivered on the retry, a mailer that
outlived its lease, the mailer's per-record failures.

SES is moto's (in-process): messages it took are read back from its backend and parsed."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from string import Template
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from portal.clock import FixedClock
from portal.data import keys, outbox
from portal.data import mail as mail_records
from portal.data.store import ConditionFailed
from portal.mail import delivery, formats, mime, render, sender
from portal.mail.catalog import CATALOG
from portal.mail.render import RenderError
from tests.support import handler, invoke, parsed, parts, sent_messages, stream_event

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
CUSTOMER = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
LICENSE = "01JDQ4Z6W7X8Y9ZABCDEFGHJKM"
TO = "Camille.Martin@Example.com"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
CRLF_COMPUTER = "SRV-01\r\nBcc: evil@example.net\r\n\r\n<b>body</b>"
LANGUAGES = ("en", "de", "fr")


# ---------------------------------------------------------------- helpers
def reminder_data(settings: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "customerName": "Camille Martin",
        "daysLeft": 30,
        "supports": [
            {
                "software": "TSplus",
                "edition": "Enterprise",
                "users": 1000,
                "serialNumber": "P65",
                "computerName": "PARIS-RDS-01",
                "computerId": "PARIS-RDS-01",
                "endsOn": "2026-12-31",
            },
            {
                "software": "TSplus Advanced Security",
                "edition": "Ultimate",
                "users": 5,
                "serialNumber": "PF3",
                "endsOn": "2026-12-31",
            },
        ],
        "unsubscribeUrl": f"{settings.portal_origin}/api/reminders/unsubscribe?t=signed",
    }
    return {**data, **changes}


def activation_data(**changes: Any) -> dict[str, Any]:
    data = {
        "customerName": "Camille Martin",
        "licenseId": LICENSE,
        "software": "TSplus",
        "serialNumber": "P30",
        "computerId": "SRV-TEST-01",
        "computerName": "Bureau de Camille",
        "action": "activated",
        "at": "2026-12-01T09:30:00Z",
    }
    return {**data, **changes}


def sign_in_data(settings: Any) -> dict[str, Any]:
    return {"code": "482913", "link": f"{settings.portal_origin}/?code=482913", "minutes": 15}


def data_of(kind: str, settings: Any) -> dict[str, Any]:
    if kind == "support_reminder":
        return reminder_data(settings)
    if kind == "activation_notice":
        return activation_data()
    return sign_in_data(settings)


class Html(HTMLParser):
    """Tags, attribute names, link targets and the visible text of an HTML part."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.links: list[str] = []
        self.words: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]
        self.links += [value or "" for name, value in attrs if name == "href"]

    def handle_data(self, data: str) -> None:
        self.words.append(data)

    @property
    def text(self) -> str:
        return "".join(self.words)


def queued(store: Any, kind: str = "activation_notice", data: Any = None, **changes: Any) -> Any:
    """An outbox message written to the table; (message, its item as the stream hands it)."""
    message = outbox.new_message(
        kind,
        customer_id=changes.pop("customer_id", CUSTOMER),
        to=changes.pop("to", TO),
        language=changes.pop("language", "fr"),
        data=data if data is not None else activation_data(),
        at=NOW,
    )
    outbox.put(store, message)
    return message, store.get(keys.outbox_key(message.outbox_id))


def deliver(store: Any, settings: Any, item: Any, **options: Any) -> delivery.Delivery:
    options.setdefault("clock", FixedClock(NOW))
    return delivery.deliver(item, store=store, settings=settings, **options)


def records_of(store: Any, customer_id: str = CUSTOMER) -> list[mail_records.MailRecord]:
    return mail_records.sent_to(store, customer_id)


# ---------------------------------------------------------------- formats
@pytest.mark.parametrize(
    ("language", "day", "written"),
    [
        ("en", date(2026, 12, 1), "December 1, 2026"),
        ("de", date(2026, 12, 1), "1. Dezember 2026"),
        ("fr", date(2026, 12, 1), "1 décembre 2026"),
        ("en", date(2028, 2, 29), "February 29, 2028"),
        ("de", date(2027, 3, 31), "31. März 2027"),
        ("fr", date(2027, 8, 15), "15 août 2027"),
    ],
)
def test_dates_are_written_as_each_language_writes_them(language, day, written):
    assert formats.long_date(day, language) == written


def test_times_are_written_in_utc_to_the_minute():
    at = datetime(2026, 12, 1, 15, 5, 59, tzinfo=UTC)
    assert formats.date_time(at, "en") == "December 1, 2026, 15:05 UTC"
    assert formats.date_time(at, "de") == "1. Dezember 2026, 15:05 UTC"
    assert formats.date_time(at, "fr") == "1 décembre 2026 à 15:05 UTC"


@pytest.mark.parametrize(
    ("amount", "currency", "en", "de", "fr"),
    [
        ("1234.50", "USD", "$1,234.50", "1.234,50\u00a0$", "1\u202f234,50\u00a0$"),
        ("1234.5", "EUR", "€1,234.50", "1.234,50\u00a0€", "1\u202f234,50\u00a0€"),
        (
            "1234567.891",
            "GBP",
            "£1,234,567.89",
            "1.234.567,89\u00a0£",
            "1\u202f234\u202f567,89\u00a0£",
        ),
        ("100.765", "USD", "$100.77", "100,77\u00a0$", "100,77\u00a0$"),  # half-up, once
        ("1.005", "EUR", "€1.01", "1,01\u00a0€", "1,01\u00a0€"),
        ("1500", "JPY", "¥1,500", "1.500\u00a0¥", "1\u202f500\u00a0¥"),  # no minor unit
        ("-52.16", "EUR", "-€52.16", "-52,16\u00a0€", "-52,16\u00a0€"),  # a refund
        ("999.9", "CHF", "CHF\u00a0999.90", "999,90\u00a0CHF", "999,90\u00a0CHF"),
    ],
)
def test_money_is_written_as_each_language_writes_it(amount, currency, en, de, fr):
    written = [formats.money(Decimal(amount), currency, lang) for lang in LANGUAGES]
    assert written == [en, de, fr]


def test_money_never_goes_through_a_float():
    with pytest.raises(TypeError):
        formats.money(1234.5, "USD", "en")  # type: ignore[arg-type]


def test_numbers_are_grouped_per_language():
    assert [formats.number(1000, lang) for lang in LANGUAGES] == ["1,000", "1.000", "1\u202f000"]
    assert formats.number(25, "de") == "25"


# ---------------------------------------------------------------- the catalog
def test_every_language_has_every_sentence_with_the_same_placeholders():
    def placeholders(sentence: str) -> set[str]:
        return {m[1] or m[2] for m in Template.pattern.findall(sentence) if m[1] or m[2]}

    english = CATALOG["en"]
    for language in LANGUAGES:
        assert set(CATALOG[language]) == set(english), language
        for key, sentence in CATALOG[language].items():
            assert placeholders(sentence) == placeholders(english[key]), (language, key)


# ---------------------------------------------------------------- rendering
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(render.KINDS))
def test_each_kind_renders_in_each_language_with_the_portal_and_support_contact(
    settings, kind, language
):
    # given a message of each kind in each language
    rendered = render.render(kind, language, data_of(kind, settings), settings)
    # then it is in that language, and names the portal and the support contact in both parts
    page = Html(rendered.html)
    assert f'<html lang="{language}">' in rendered.html
    assert rendered.sender_name == CATALOG[language]["brand"]
    assert CATALOG[language]["brand"] in rendered.text and CATALOG[language]["brand"] in page.text
    for part in (rendered.text, page.text):
        assert settings.portal_origin in part
        assert settings.support_email in part
    assert f"mailto:{settings.support_email}" in page.links
    assert settings.portal_origin in page.links
    assert "\n" not in rendered.subject and rendered.subject
    assert "script" not in page.tags


@pytest.mark.parametrize(
    ("language", "subject", "sentence"),
    [
        ("en", "end on December 31, 2026", "end in 30 days, on December 31, 2026"),
        ("de", "enden am 31. Dezember 2026", "enden in 30 Tagen, am 31. Dezember 2026"),
        ("fr", "prennent fin le 31 décembre 2026", "prennent fin dans 30 jours, le 31 décembre"),
    ],
)
def test_a_reminder_lists_every_support_due_with_a_renew_and_an_unsubscribe_link(
    settings, language, subject, sentence
):
    # given two supports ending in 30 days
    data = reminder_data(settings)
    rendered = render.render("support_reminder", language, data, settings)
    page = Html(rendered.html)
    # then the subject and the text say when, in the language
    assert subject in rendered.subject
    assert sentence in " ".join(rendered.text.split())
    # and each support is a row: software, serial / computer, users, edition, end date
    table = rendered.html.split('class="supports"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 2  # the headings, the two supports
    visible = page.text
    for expected in ("TSplus", "P65 / PARIS-RDS-01", "Enterprise", "PF3", "Ultimate"):
        assert expected in visible and expected in rendered.text
    assert formats.number(1000, language) in visible
    # and it links to renew and to stop the reminders (also as List-Unsubscribe)
    assert f"{settings.portal_origin}/home.html" in page.links
    assert data["unsubscribeUrl"] in page.links and data["unsubscribeUrl"] in rendered.text
    assert rendered.unsubscribe_url == data["unsubscribeUrl"]


@pytest.mark.parametrize(
    ("days", "english"),
    [(7, "end in 7 days"), (1, "end tomorrow"), (-1, "ended on")],
)
def test_a_reminder_says_how_soon_or_that_it_has_ended(settings, days, english):
    rendered = render.render(
        "support_reminder", "en", reminder_data(settings, daysLeft=days), settings
    )
    assert english in " ".join(rendered.text.split())
    assert ("ended" in rendered.subject) == (days < 0)


@pytest.mark.parametrize("action", ["activated", "released"])
def test_an_activation_notice_names_the_license_the_computer_and_links_its_history(
    settings, action
):
    data = activation_data(action=action)
    rendered = render.render("activation_notice", "en", data, settings)
    page = Html(rendered.html)
    assert action in rendered.subject and "P30" in rendered.subject
    assert "Bureau de Camille" in rendered.subject
    text = " ".join(rendered.text.split())
    assert "TSplus P30" in text and "Bureau de Camille (SRV-TEST-01)" in text
    assert "December 1, 2026, 09:30 UTC" in text
    history = f"{settings.portal_origin}/home.html?history={LICENSE}"
    assert history in page.links and history in rendered.text
    assert "Not you?" in text


def test_a_sign_in_code_mail_shows_the_code_and_the_link(settings):
    data = sign_in_data(settings)
    rendered = render.render("sign_in_code", "de", data, settings)
    assert "482913" in rendered.text and "482913" in Html(rendered.html).text
    assert data["link"] in Html(rendered.html).links
    assert "15 Minuten" in rendered.text
    assert "482913" not in rendered.subject  # lock screens show subjects


# ---------------------------------------------------------------- escaping
HOSTILE = [SCRIPT, IMG, "Camille</title><script>alert(1)</script>", "$name ${brand} $$", "&amp;"]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("kind", ["support_reminder", "activation_notice"])
def test_a_hostile_name_is_text_in_every_part(settings, name, kind):
    # given a customer name and a computer name made to break out of the HTML or the template
    data = data_of(kind, settings)
    data["customerName"] = name
    if kind == "activation_notice":
        data["computerName"] = name
    else:
        data["supports"][0]["computerName"] = name
        data["supports"][0]["software"] = name
    rendered = render.render(kind, "en", data, settings)
    page = Html(rendered.html)
    # then the HTML has no tag, attribute or handler of theirs, and shows the name as written
    assert "script" not in page.tags and "img" not in page.tags and "b" not in page.tags
    assert not [a for a in page.attributes if a.startswith("on") or a == "src"]
    assert f"Hello {name}," in page.text
    # and the text part and the subject carry it as it was (templates do not expand it)
    assert f"Hello {name}," in rendered.text
    if kind == "activation_notice":
        assert name in rendered.subject


def test_control_characters_cannot_reach_a_header_or_break_a_line(settings, ses, store):
    # given a computer name with CR/LF trying to add a Bcc header and a body of its own
    data = activation_data(computerName=CRLF_COMPUTER, customerName="Ana\u202eMüller\x00")
    rendered = render.render("activation_notice", "en", data, settings)
    # then the subject is one line, and the name is one line in the text part
    assert "\r" not in rendered.subject and "\n" not in rendered.subject
    assert "SRV-01 Bcc: evil@example.net <b>body</b>" in rendered.subject
    assert "Hello Ana Müller," in rendered.text  # the override and the NUL are gone
    assert "<b>" not in Html(rendered.html).tags
    # and the raw message has exactly the headers the portal set: no Bcc, one To
    raw = mime.build(rendered, to=TO, sender=settings.mail_from, at=NOW, reference="01X")
    message = parsed(raw)
    assert message.get_all("Bcc") is None
    assert [str(a.addr_spec) for a in message["To"].addresses] == [TO]
    header_lines = raw.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    assert not [line for line in header_lines if line.lower().startswith(("bcc", "<b>"))]
    assert str(message["Subject"]) == rendered.subject


def test_values_are_cut_to_a_sensible_length(settings):
    data = activation_data(customerName="A" * 5000)
    rendered = render.render("activation_notice", "en", data, settings)
    assert "A" * 200 not in rendered.text and "A" * 199 in rendered.text
    assert len(rendered.subject) <= render.SUBJECT_LIMIT


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.net/renew",
        "javascript:alert(1)",
        "http://127.0.0.1:3000.evil.example.net/x",
        'http://127.0.0.1:3000/x" onmouseover="alert(1)',
        "//evil.example.net/x",
        "",
        None,
    ],
)
def test_a_mail_links_only_to_the_portal(settings, url):
    with pytest.raises(RenderError):
        render.render(
            "support_reminder", "en", reminder_data(settings, unsubscribeUrl=url), settings
        )
    with pytest.raises(RenderError):
        render.render("sign_in_code", "en", {**sign_in_data(settings), "link": url}, settings)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("no_such_kind", {}),
        ("activation_notice", activation_data(action="stolen")),
        ("activation_notice", activation_data(at="yesterday")),
        ("activation_notice", activation_data(software=None)),
        ("activation_notice", activation_data(software={"nested": "object"})),
        ("support_reminder", {"daysLeft": 30, "supports": []}),
        ("support_reminder", {"daysLeft": "30", "supports": [{}]}),
        ("sign_in_code", {"code": "12 34", "link": "x", "minutes": 15}),
    ],
)
def test_data_that_cannot_make_the_message_is_a_render_error(settings, kind, data):
    with pytest.raises(RenderError):
        render.render(kind, "en", data, settings)


# ---------------------------------------------------------------- MIME
def test_the_raw_message_is_multipart_alternative_utf8_with_proper_headers(settings):
    # given a French reminder (its subject is not ASCII: "mise à jour")
    rendered = render.render("support_reminder", "fr", reminder_data(settings), settings)
    raw = mime.build(rendered, to=TO, sender=settings.mail_from, at=NOW, reference="01OUTBOXID")
    message = parsed(raw)
    # then it is multipart/alternative: text first, HTML last, both UTF-8, both as rendered
    assert message.get_content_type() == "multipart/alternative"
    subparts = list(message.iter_parts())
    assert [p.get_content_type() for p in subparts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in subparts)
    assert all(p["Content-Transfer-Encoding"] == "quoted-printable" for p in subparts)
    text, markup = parts(message)
    assert text.replace("\r\n", "\n") == rendered.text
    assert markup.replace("\r\n", "\n") == rendered.html
    # and the headers: From with the portal's French name, To, the encoded subject, Date, ...
    assert message["From"].addresses[0].display_name == "Portail client"
    assert message["From"].addresses[0].addr_spec == settings.mail_from
    assert str(message["Subject"]) == rendered.subject
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]  # non-ASCII subject, RFC 2047-encoded
    assert message["Date"].datetime == NOW
    assert message["Message-ID"] == "<01OUTBOXID@example.com>"
    assert message["Content-Language"] == "fr"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == f"<{rendered.unsubscribe_url}>"
    # and it is 7-bit, CRLF, within SMTP's line length
    assert raw.decode("ascii")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_only_messages_one_can_opt_out_of_carry_list_unsubscribe(settings):
    rendered = render.render("activation_notice", "en", activation_data(), settings)
    message = parsed(mime.build(rendered, to=TO, sender=settings.mail_from, at=NOW, reference="1"))
    assert message["List-Unsubscribe"] is None


# ---------------------------------------------------------------- sending and its record
def test_send_now_sends_through_ses_and_records_the_send_without_the_address(ses, store, settings):
    # when a mail is sent outside the outbox
    record = sender.send_now(
        store,
        settings,
        customer_id=CUSTOMER,
        kind="sign_in_code",
        language="en",
        to=TO,
        data=sign_in_data(settings),
        at=NOW,
    )
    # then SES took it, with both parts, from the sender to the customer
    (sent,) = sent_messages()
    assert sent.id == record.ses_message_id
    message = parsed(sent.raw_data.encode())
    assert parts(message)[0] and parts(message)[1]
    assert message["To"].addresses[0].addr_spec == TO
    # and it is recorded once in the customer's partition: time, kind, digest, SES message id
    (stored,) = records_of(store)
    assert stored == record
    assert stored.recipient_digest == keys.digest("camille.martin@example.com")
    assert stored.sent_at == NOW and stored.kind == "sign_in_code"
    item = store.get(keys.mail_record_key(CUSTOMER, record.record_id))
    assert TO.lower() not in str(item).lower()


def test_a_send_ses_refuses_raises_and_records_nothing(aws, store, settings):
    # given a sender SES was never told about (moto refuses it, like SES)
    with pytest.raises(ClientError):
        sender.send_now(
            store, settings, customer_id=CUSTOMER, kind="sign_in_code", language="en",
            to=TO, data=sign_in_data(settings), at=NOW,
        )  # fmt: skip
    assert records_of(store) == []


# ---------------------------------------------------------------- the outbox
def test_an_outbox_message_is_checked_when_it_is_asked_for():
    good = {"customer_id": CUSTOMER, "to": TO, "language": "en", "at": NOW}
    assert outbox.new_message("activation_notice", data=activation_data(), **good).to == TO.lower()
    bad = [
        ("Activation Notice", {}, {}),
        ("activation_notice", {"price": 1.5}, {}),
        ("activation_notice", {"price": Decimal("1.50")}, {}),
        ("activation_notice", {"big": "x" * (outbox.DATA_LIMIT + 1)}, {}),
        ("activation_notice", {}, {"to": "not an address"}),
        ("activation_notice", {}, {"language": "es"}),
        ("activation_notice", {}, {"customer_id": ""}),
    ]
    for kind, data, changes in bad:
        with pytest.raises(ValueError):
            outbox.new_message(kind, data=data, **{**good, **changes})


def test_the_outbox_item_commits_with_its_cause_or_not_at_all(store, settings):
    # given an outbox item as a part of a transaction whose other part cannot hold
    message = outbox.new_message(
        "activation_notice", customer_id=CUSTOMER, to=TO, language="en",
        data=activation_data(), at=NOW,
    )  # fmt: skip
    cause = store.put_request(
        {**keys.customer_profile(CUSTOMER), "name": "x"}, condition="attribute_exists(pk)"
    )
    # when it is committed, then nothing is written, the outbox item neither
    with pytest.raises(ConditionFailed):
        store.transact([("Put", cause), outbox.outbox_put_request(store, message)])
    assert store.get(keys.outbox_key(message.outbox_id)) is None
    # and when the cause holds, both are there, the item pending
    store.transact(
        [("Put", store.put_request({**keys.customer_profile(CUSTOMER), "name": "x"})),
         outbox.outbox_put_request(store, message)]
    )  # fmt: skip
    item = store.get(keys.outbox_key(message.outbox_id))
    assert item["status"] == outbox.PENDING and item["kind"] == "activation_notice"
    assert outbox.message_from_item(item) == message


def test_an_outbox_item_is_delivered_once_and_recorded_once(ses, store, settings):
    # given a pending outbox item
    message, item = queued(store)
    # when the mailer delivers it, then again (the stream hands records over at least once)
    first = deliver(store, settings, item)
    again = deliver(store, settings, item)
    # then one mail went out, in French, and the second delivery skipped it
    assert first.outcome == delivery.SENT and again.outcome == delivery.SKIPPED
    (sent,) = sent_messages()
    assert sent.id == first.ses_message_id
    assert "activée" in str(parsed(sent.raw_data.encode())["Subject"])
    # and the item is sent with its SES message id, recorded once under the customer
    state = outbox.state_of(store, message.outbox_id)
    assert state is not None and state.status == outbox.SENT
    assert state.ses_message_id == first.ses_message_id and state.attempts == 1
    (record,) = records_of(store)
    assert record.outbox_id == record.record_id == message.outbox_id
    assert record.ses_message_id == first.ses_message_id
    assert record.kind == "activation_notice" and record.language == "fr"
    assert record.recipient_digest == mail_records.recipient_digest(TO)


@pytest.mark.usefixtures("atomic_writes")
@pytest.mark.parametrize("mailers", [2, 10])
def test_mailers_racing_for_one_item_send_it_once(ses, store, settings, mailers):
    # given one pending item, and SES slow enough that the racers overlap
    _, item = queued(store)
    start = threading.Barrier(mailers)
    real_send = sender.send

    def slow_send(*args: Any, **kwargs: Any) -> str:
        threading.Event().wait(0.2)
        return real_send(*args, **kwargs)

    def race(_: int) -> str:
        start.wait()
        try:
            return deliver(store, settings, item).outcome
        except delivery.OutboxBusy:
            return "busy"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sender, "send", slow_send)
        with ThreadPoolExecutor(max_workers=mailers) as pool:
            outcomes = list(pool.map(race, range(mailers)))
    # then exactly one sent it; each other one skipped it or was told to retry later
    assert outcomes.count(delivery.SENT) == 1
    assert set(outcomes) <= {delivery.SENT, delivery.SKIPPED, "busy"}
    # and a retry of the busy ones sends nothing more
    for outcome in outcomes:
        if outcome == "busy":
            assert deliver(store, settings, item).outcome == delivery.SKIPPED
    assert len(sent_messages()) == 1
    assert len(records_of(store)) == 1


def test_a_failed_send_is_left_pending_and_delivered_on_the_retry(ses, store, settings):
    # given SES throttling the first send
    message, item = queued(store)
    failing = boto3.client("sesv2")
    with Stubber(failing) as stub:
        stub.add_client_error("send_email", service_error_code="TooManyRequestsException")
        # when the mailer delivers it, then it raises, and the item is pending again
        with pytest.raises(delivery.MailNotSent):
            deliver(store, settings, item, ses=failing)
        stub.assert_no_pending_responses()
    state = outbox.state_of(store, message.outbox_id)
    assert state is not None and state.status == outbox.PENDING
    assert state.last_error == "TooManyRequestsException" and state.attempts == 1
    assert sent_messages() == [] and records_of(store) == []
    # when the stream retries it, then it goes out once and is recorded once
    retried = deliver(store, settings, item)
    assert retried.outcome == delivery.SENT
    assert [m.id for m in sent_messages()] == [retried.ses_message_id]
    (record,) = records_of(store)
    assert record.ses_message_id == retried.ses_message_id
    assert outbox.state_of(store, message.outbox_id).attempts == 2  # type: ignore[union-attr]


def test_an_item_held_by_a_mailer_that_died_is_taken_over_when_its_lease_runs_out(
    ses, store, settings
):
    # given a mailer that claimed the item and never came back
    message, item = queued(store)
    assert outbox.claim(
        store, message.outbox_id, lease_id="dead", now=NOW, until=NOW + delivery.LEASE
    )
    clock = FixedClock(NOW + timedelta(seconds=5))
    # then while its lease runs another mailer is told to retry (it may not wait that long)
    with pytest.raises(delivery.OutboxBusy):
        deliver(store, settings, item, clock=clock)
    # and once the lease has run out it delivers, and the dead one can record nothing
    clock.advance(seconds=delivery.LEASE.total_seconds())
    assert deliver(store, settings, item, clock=clock).outcome == delivery.SENT
    late = mail_records.MailRecord(
        CUSTOMER, message.outbox_id, "activation_notice", "fr", "digest", "late-id", NOW,
        message.outbox_id,
    )  # fmt: skip
    assert not outbox.mark_sent(store, message, lease_id="dead", record=late)
    (record,) = records_of(store)
    assert record.ses_message_id != "late-id"


def test_a_mailer_waits_out_a_lease_it_has_time_for(ses, store, settings):
    # given another mailer's lease with 10 s left, and 60 s this mailer may wait
    message, item = queued(store)
    outbox.claim(
        store, message.outbox_id, lease_id="other", now=NOW, until=NOW + timedelta(seconds=10)
    )
    clock = FixedClock(NOW)
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        clock.advance(seconds=seconds)

    # when it delivers, then it waits for the lease to end and sends
    done = deliver(store, settings, item, clock=clock, wait_seconds=60, sleep=sleep)
    assert done.outcome == delivery.SENT
    assert waited and 10 <= waited[0] < 11


def test_an_item_that_cannot_be_rendered_is_undeliverable_and_never_retried(ses, store, settings):
    message, item = queued(store, data=activation_data(action="stolen"))
    done = deliver(store, settings, item)
    assert done.outcome == delivery.UNDELIVERABLE
    state = outbox.state_of(store, message.outbox_id)
    assert state is not None and state.status == outbox.UNDELIVERABLE and state.last_error
    assert deliver(store, settings, item).outcome == delivery.SKIPPED
    assert sent_messages() == [] and records_of(store) == []


# ---------------------------------------------------------------- the mailer function
def test_the_mailer_reports_exactly_the_records_it_could_not_send(
    ses, store, settings, monkeypatch
):
    # given three new outbox items, SES refusing the second one's recipient
    items = [queued(store, to=f"customer{n}@example.com")[1] for n in range(3)]
    real_send = sender.send

    def send(raw: bytes, **kwargs: Any) -> str:
        if b"customer1@example.com" in raw:
            raise ClientError({"Error": {"Code": "Throttling"}}, "SendEmail")
        return real_send(raw, **kwargs)

    monkeypatch.setattr(sender, "send", send)
    # when the stream hands them to the mailer in one batch
    answer = invoke("mailer", stream_event(*items))
    # then only the second is reported (the stream retries from it), the others went out
    assert answer == {"batchItemFailures": [{"itemIdentifier": "1001"}]}
    assert len(sent_messages()) == 2
    # when the stream retries from the failed record on, with SES back
    monkeypatch.setattr(sender, "send", real_send)
    assert invoke("mailer", stream_event(*items[1:])) == {"batchItemFailures": []}
    # then the second one went out, the third was not sent twice
    recipients = sorted(m.destinations[0] for m in sent_messages())
    assert recipients == [f"customer{n}@example.com" for n in range(3)]
    assert len(records_of(store)) == 3


def test_a_batch_of_which_nothing_could_be_sent_is_reported_record_by_record(store, settings):
    # given no verified sender: SES refuses every mail
    items = [queued(store)[1] for _ in range(2)]
    answer = invoke("mailer", stream_event(*items))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "1000"}, {"itemIdentifier": "1001"}]}
    assert handler("mailer").processor.raise_on_entire_batch_failure is False


@pytest.fixture
def debug_logs() -> Any:
    """Everything the portal's logger writes at DEBUG, as its JSON lines (extras included)."""
    import io
    import logging

    from portal.observability import logger

    written, previous = io.StringIO(), logger.log_level
    capture = logging.StreamHandler(written)
    capture.setFormatter(logger.registered_handler.formatter)
    logger.addHandler(capture)
    logger.setLevel("DEBUG")
    yield written
    logger.setLevel(previous)
    logger.removeHandler(capture)


def test_mail_logs_name_no_address_no_name_and_no_code(ses, store, settings, debug_logs):
    # given debug logging, a sign-in code and an activation notice
    code_item = queued(
        store, "sign_in_code", sign_in_data(settings), to="secret.person@example.org"
    )[1]
    notice = queued(store, data=activation_data(customerName="Yolanda Uniquename"))[1]
    broken = queued(store, data=activation_data(action="stolen", customerName="Zed Hidden"))[1]
    # when the mailer delivers them
    assert invoke("mailer", stream_event(code_item, notice, broken)) == {"batchItemFailures": []}
    # then the logs name outbox ids and kinds, but no address, name, code or link
    text = debug_logs.getvalue()
    assert code_item["outboxId"] in text and notice["outboxId"] in text
    for private in ("secret.person", TO.lower(), "Yolanda", "Zed Hidden", "482913", "?code="):
        assert private.lower() not in text.lower()
