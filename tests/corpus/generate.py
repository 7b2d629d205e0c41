#!/usr/bin/env python3
"""Generates the labelled detection corpus (one file per pii_type) deterministically.

Values are synthetic: card numbers are Luhn-valid in real issuer ranges but random, SSNs are in
valid ranges but random (never the famous samples), IBANs carry correct check digits over random
account numbers, keys and tokens are random strings in the issuers' formats.

Format of the output: one case per line; `[[type:value]]` marks every expected finding; a line
without a marker is a look-alike that must produce no finding at medium confidence or above;
`⏎` stands for a newline inside the case; lines starting with `#` are comments.

Run: python3 tests/corpus/generate.py   (rewrites tests/corpus/*.txt)
"""
import base64, hashlib, json, os, random, string

R = random.Random(4)
HERE = os.path.dirname(os.path.abspath(__file__))
B62 = string.ascii_letters + string.digits
FIRST = ["Maria", "Jonas", "Aiko", "Priya", "Lucas", "Fatima", "Oliver", "Chloe", "Mateo", "Ingrid", "Kwame", "Sofia",
         "Henrik", "Amara", "Diego", "Leila", "Tomasz", "Yuki", "Noah", "Elena", "Rafael", "Zoe", "Arjun", "Nadia"]
LAST = ["Lopez", "Becker", "Tanaka", "Raman", "Moreau", "Haddad", "Brennan", "Dubois", "Silva", "Lindqvist", "Mensah",
        "Rossi", "Nielsen", "Okafor", "Herrera", "Farouk", "Nowak", "Sato", "Whitfield", "Petrova", "Costa", "Keller"]
DOMAINS = ["fastmail.fm", "gmail.com", "outlook.com", "proton.me", "yahoo.co.uk", "web.de", "orange.fr", "acme-corp.io",
           "northwind.health", "mailbox.org", "icloud.com", "gmx.net", "uni-heidelberg.de", "contoso.co"]


def rs(n, alphabet=B62):
    return "".join(R.choice(alphabet) for _ in range(n))


def luhn_complete(prefix, length):
    body = prefix + "".join(R.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for d in string.digits:
        s = body + d
        total = 0
        for i, c in enumerate(reversed(s)):
            v = int(c) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return s


def luhn_ok(s):
    total = 0
    for i, c in enumerate(reversed(s)):
        v = int(c) * (2 if i % 2 else 1)
        total += v - 9 if v > 9 else v
    return total % 10 == 0


def card():
    prefix, length = R.choice([("4", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
                               ("6011", 16), ("3530", 16), ("4", 13)])
    return luhn_complete(prefix, length)


def group_card(n, sep=" "):
    if len(n) == 15:
        return n[:4] + sep + n[4:10] + sep + n[10:]
    return sep.join(n[i:i + 4] for i in range(0, len(n), 4))


def ssn():
    while True:
        area = R.randint(1, 899)
        if area == 666:
            continue
        s = "%03d%02d%04d" % (area, R.randint(1, 99), R.randint(1, 9999))
        if s not in ("078051120", "219099999", "123456789"):
            return s


def iban(cc, bban):
    rearranged = bban + cc + "00"
    num = "".join(str(int(c, 36)) for c in rearranged)
    check = 98 - int(num) % 97
    return "%s%02d%s" % (cc, check, bban)


IBAN_FORMATS = {"DE": lambda: rs(18, string.digits), "GB": lambda: rs(4, string.ascii_uppercase) + rs(14, string.digits),
                "FR": lambda: rs(23, string.digits), "NL": lambda: rs(4, string.ascii_uppercase) + rs(10, string.digits),
                "ES": lambda: rs(20, string.digits), "IT": lambda: R.choice("ABCX") + rs(22, string.digits),
                "CH": lambda: rs(17, string.digits), "BE": lambda: rs(12, string.digits), "AT": lambda: rs(16, string.digits),
                "PL": lambda: rs(24, string.digits)}


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def name():
    return R.choice(FIRST), R.choice(LAST)


def email():
    f, l = name()
    local = R.choice([f.lower() + "." + l.lower(), f[0].lower() + l.lower(), f.lower() + str(R.randint(1, 99)),
                      l.lower() + "_" + f.lower()])
    return local + "@" + R.choice(DOMAINS)


def ts():
    return "2024-%02d-%02dT%02d:%02d:%02dZ" % (R.randint(1, 12), R.randint(1, 28), R.randint(0, 23), R.randint(0, 59), R.randint(0, 59))


def b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def jwt(claims):
    return b64url({"alg": "HS256", "typ": "JWT"}) + "." + b64url(claims) + "." + rs(43, B62 + "-_")


def pem(label, lines=8, sep="⏎"):
    body = sep.join(base64.b64encode(bytes(R.randrange(256) for _ in range(48))).decode() for _ in range(lines))
    return "-----BEGIN %s-----%s%s%s-----END %s-----" % (label, sep, body, sep, label)


def public_ip():
    while True:
        a = R.choice([81, 93, 141, 185, 203, 62, 77, 151, 188, 212, 24, 73, 98, 104, 45])
        ip = "%d.%d.%d.%d" % (a, R.randint(0, 255), R.randint(0, 255), R.randint(1, 254))
        if not ip.startswith("203.0.113"):
            return ip


US_AREAS = ["415", "212", "312", "617", "206", "303", "512", "646", "718", "202", "404", "713", "305", "503"]


def us_phone():
    return R.choice(US_AREAS), "%d%02d" % (R.randint(2, 9), R.randint(10, 99)), "%04d" % R.randint(1000, 9999)


CASES = {}


def add(kind, line):
    CASES.setdefault(kind, []).append(line)


def J(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def mark(kind, v):
    return "[[%s:%s]]" % (kind, v)


# ---------------------------------------------------------------- email
for i in range(24):
    e = email()
    t = [
        lambda: J({"id": R.randint(1, 9999), "email": "EM", "created_at": ts(), "plan": "pro"}),
        lambda: '%s INFO auth: login succeeded for EM from session %s' % (ts(), rs(8, "0123456789abcdef")),
        lambda: '<tr><td>%d</td><td><a href="mailto:EM">EM2</a></td></tr>' % R.randint(1, 500),
        lambda: '%d,%s,%s,EM,2023-11-0%d' % (R.randint(1, 900), R.choice(FIRST), "active", R.randint(1, 9)),
        lambda: 'WARN smtp: delivery to <EM> deferred: 451 4.7.1 try later',
        lambda: J({"data": {"contact": {"email": "EM", "verified": True}}, "meta": {"version": "2.3.1"}}),
    ][i % 6]()
    e2 = email() if "EM2" in t else None
    line = t.replace("EM2", mark("email", e2) if e2 else "").replace("EM", mark("email", e))
    add("email", line)
for neg in [
    J({"email": "jane.doe@example.com", "note": "see docs"}),
    "Contact us at support@example.org for help.",
    '<img src="/static/logo@2x.png" alt="logo">',
    "@media screen and (max-width: 600px) { .nav { display: none } }",
    'import { Button } from "@acme/ui"; // v1.2.3',
    "ssh clone git@github.com:acme/api.git",
    "user@localhost refused connection",
    J({"author": "bob@test.example", "id": 7}),
    "Email: name@domain",
    "foo@bar.c is not an address",
    "follow @maria_lopez on the socials",
    J({"reply_to": "noreply@northwind.health", "template": "welcome"}),
    "From: postmaster@mailbox.org (Mail Delivery System)",
    "send to alice@example.net and bob@sub.example.com",
    "price: 3@12.50 each",
    "user: admin@127.0.0.1",
    "Email address: [email protected]",
    J({"webhook": "https://hooks.example.com/a@b", "ok": True}),
    "contact at maria dot lopez at fastmail dot fm",
    "2024-05-01 INFO mailer: queue flushed (0 messages)",
    "See RFC 2606: user@invalid.invalid",
    J({"email": None, "email_verified": False}),
]:
    add("email", neg)

# ---------------------------------------------------------------- ssn
for i in range(24):
    s = ssn()
    f = "%s-%s-%s" % (s[:3], s[3:5], s[5:])
    t = [
        lambda: J({"users": [{"id": R.randint(1, 99), "ssn": "V", "name_initial": "M"}]}).replace("V", mark("ssn", f)),
        lambda: J({"customer": {"social_security_number": "V"}}).replace("V", mark("ssn", s)),
        lambda: '%s DEBUG kyc: verifying applicant ssn=%s status=pending' % (ts(), mark("ssn", f)),
        lambda: '<dt>Social Security No.</dt><dd>%s</dd>' % mark("ssn", f),
        lambda: '%d,%s,%s' % (R.randint(100, 999), mark("ssn", f), "approved"),
        lambda: J({"employee": {"ssn": int(s)}}).replace(str(int(s)), mark("ssn", str(int(s)))),
    ][i % 6]()
    add("ssn", t)
for neg in [
    "ssn=000-12-3456", "ssn: 666-45-1234", "SSN 912-34-5678", "ssn=536-00-8410", "ssn=536-22-0000",
    "Sample card shows SSN 078-05-1120", "e.g. 123-45-6789", "ssn 219-09-9999",
    J({"zip": "94105-1234", "city": "San Francisco"}), "SSN-like 536-22-841 (8 digits)",
    "2024-05-01 INFO order 536228410 shipped", J({"order_id": "536-22-8410"}),
    "invoice no. 536-22-8410 paid", "build 536-22-8410-rc1", "uuid 536-22-8410a", "id=98765432-1",
    J({"phone_ext": "555-12"}), "SSN: ***-**-8410", "ssn: XXX-XX-8410", "range 536-22-84100",
    "temp 536 22 84101 reading", J({"tracking_number": "536228410"}),
]:
    add("ssn", neg)

# ---------------------------------------------------------------- credit_card
for i in range(26):
    n = card()
    fmt = [n, group_card(n), group_card(n, "-")][i % 3]
    t = [
        lambda: J({"payment": {"card_number": "V", "exp": "0%d/2%d" % (R.randint(1, 9), R.randint(5, 9))}}),
        lambda: '%s ERROR payments: charge failed card=V amount=%d.00' % (ts(), R.randint(5, 300)),
        lambda: '<input type="hidden" name="cc" value="V">',
        lambda: '%d,%s %s,V,%s' % (R.randint(1, 99), *name(), "visa"),
        lambda: 'Paid with card V on %s' % ts()[:10],
        lambda: J({"orders": [{"id": R.randint(1000, 9999), "total": 19.99, "pan": "V"}]}),
    ][i % 6]()
    if "%s %s" in t:
        pass
    add("credit_card", t.replace("V", mark("credit_card", fmt)))
bad_luhn = []
while len(bad_luhn) < 4:
    x = "4" + rs(15, string.digits)
    if not luhn_ok(x):
        bad_luhn.append(x)
lu = card()
for neg in [
    "order %s confirmed" % bad_luhn[0], J({"order_number": bad_luhn[1]}), "ref %s" % bad_luhn[2],
    J({"tracking_number": luhn_complete("4", 16)}), J({"id": "%s-aa12-4b7c-9d3e-0f1e2d3c4b5a" % lu[:8]}),
    "sha256 9f%s%s" % (lu, "ab" * 8), "value=0.%s" % lu, "ratio %s.%se+15" % (lu[0], lu[1:]),
    "run %s0012" % lu, "ts 1714557600000 elapsed", "ISBN 978-0-306-40615-7",
    "card ending in 1111", "**** **** **** 4242", "Stripe test card 4111 1111 1111 1111",
    "use 4242 4242 4242 4242 in test mode", J({"sku": lu}), "serial %s" % lu,
    "1234 5678 9012 3456 is not valid", "0000 0000 0000 0000",
    "version %s.%s" % (lu[:8], lu[8:]), J({"amount": float("0." + lu)}), "x" + lu + "y",
]:
    add("credit_card", neg)

# ---------------------------------------------------------------- phone
phones = []
for i in range(8):
    a, b, c = us_phone()
    phones.append(R.choice(["(%s) %s-%s" % (a, b, c), "+1 %s-%s-%s" % (a, b, c), "%s.%s.%s" % (a, b, c), "+1%s%s%s" % (a, b, c)]))
phones += ["+44 20 7946 %04d" % R.randint(0, 999), "020 7946 %04d" % R.randint(0, 999), "+44 7911 %06d" % R.randint(100000, 999999),
           "+49 30 %08d" % R.randint(10000000, 99999999), "030 %07d" % R.randint(2000000, 9999999), "+49 151 %08d" % R.randint(10000000, 99999999),
           "+33 1 42 68 %02d %02d" % (R.randint(10, 99), R.randint(10, 99)), "06 12 %02d %02d %02d" % (R.randint(10, 99), R.randint(10, 99), R.randint(10, 99)),
           "+91 98765 %05d" % R.randint(10000, 99999), "+91 22 2%03d %04d" % (R.randint(100, 999), R.randint(1000, 9999)),
           "+55 11 9%04d-%04d" % (R.randint(1000, 9999), R.randint(1000, 9999)), "(11) 9%04d-%04d" % (R.randint(1000, 9999), R.randint(1000, 9999)),
           "+1 416-%d%02d-%04d" % (R.randint(2, 9), R.randint(10, 99), R.randint(1000, 9999)), "+1 604 %d%02d %04d" % (R.randint(2, 9), R.randint(10, 99), R.randint(1000, 9999))]
for i, p in enumerate(phones):
    t = [
        lambda: J({"contact": {"phone": "V", "preferred": True}}),
        lambda: '%s INFO sms: OTP sent to V (attempt 1)' % ts(),
        lambda: '<p>Tel: <a href="tel:V">V</a></p>',
        lambda: '%d,%s,V,%s' % (R.randint(1, 99), R.choice(FIRST), "mobile"),
        lambda: 'Call me back at V after 5pm',
        lambda: J({"users": [{"id": 3, "mobile": "V"}]}),
    ][i % 6]()
    add("phone", t.replace("V", mark("phone", p)))
for neg in [
    "ISBN 978-3-16-148410-0", "released 2024-05-01", "version 10.2.3", "pi 3.14159265",
    "order 4158675309 shipped", "ts=1714557600 ok", "price 1,299.00 USD", "(555) 555-5555",
    "zip 94105", "steps 1-2-3-4-5", "room 101-202", "years 2019 2020 2021", J({"order_id": "4158675309"}),
    J({"isbn": "978-0-306-40615-7"}), "id 123-456-7890-ab", "bytes 1048576 used", "uuid 550e8400-e29b-41d4-a716-446655440000",
    "0.4158675309", "coordinates 37.7749, -122.4194", "invoice 2024-000123", "call 1234567", "1.800.000.0000 grid",
]:
    add("phone", neg)

# ---------------------------------------------------------------- iban
for i in range(24):
    cc = list(IBAN_FORMATS)[i % len(IBAN_FORMATS)]
    v = iban(cc, IBAN_FORMATS[cc]())
    v = group4(v) if i % 2 else v
    t = [
        lambda: J({"payout": {"iban": "V", "holder_initials": "ML"}}),
        lambda: '%s INFO sepa: transfer queued to V amount=120.00' % ts(),
        lambda: '<td>IBAN</td><td>V</td>',
        lambda: '%d,V,EUR' % R.randint(1, 99),
    ][i % 4]()
    add("iban", t.replace("V", mark("iban", v)))
good = iban("DE", IBAN_FORMATS["DE"]())
for neg in [
    good[:-1] + str((int(good[-1]) + 1) % 10), "DE00" + good[4:], good[:-2], "XX89" + good[4:], "product AB12CD34EF56",
    "US12345678901234567890", J({"iban": "DE89 XXXX XXXX XXXX XXXX XX"}), "GB82 WEST", "ref DE12345", "iban: N/A",
    "serial FR7630006000011234567890189X", "SKU GB29NWBK60161331926818Z", "ES91 2100 0418 4502 0005 133",
    "NL91ABNA041716430", "BE71 0961 2345 6769 00", "code AT611904300234573201 9", "de89370400440532013000",
    "DE89-3704-0044-0532-0130-00", J({"account_ref": "CH93 0076 2011 6238 5295 8"}), "PL61109010140000071219812875999",
]:
    add("iban", neg)

# ---------------------------------------------------------------- national_id
def cpf():
    d = [R.randint(0, 9) for _ in range(9)]
    for n in (9, 10):
        s = sum(d[i] * (n + 1 - i) for i in range(n))
        r = s * 10 % 11
        d.append(0 if r == 10 else r)
    s = "".join(map(str, d))
    return "%s.%s.%s-%s" % (s[:3], s[3:6], s[6:9], s[9:])


def nino():
    return R.choice(["AB", "CE", "JK", "LM", "PR", "SW", "HT", "WX"]) + rs(6, string.digits) + R.choice("ABCD")


for i in range(22):
    t = [
        lambda: J({"customer": {"cpf": "V"}}).replace("V", mark("national_id", cpf())),
        lambda: "CPF do titular: %s" % mark("national_id", cpf()),
        lambda: J({"employee": {"national_insurance_number": "V"}}).replace("V", mark("national_id", nino())),
        lambda: "%s INFO hr: National Insurance %s verified" % (ts(), mark("national_id", nino())),
        lambda: J({"passport_number": "V"}).replace("V", mark("national_id", R.choice("CXKP") + rs(8, string.digits))),
        lambda: "Passport No: %s issued 2019" % mark("national_id", R.choice("CXKP") + rs(7, string.digits)),
        lambda: J({"user": {"national_id": "V"}}).replace("V", mark("national_id", rs(2, string.ascii_uppercase) + rs(7, string.digits))),
    ][i % 7]()
    add("national_id", t)
for neg in [
    "CPF 123.456.789-00", J({"cpf": None}), J({"national_id": "N/A"}), "product AB123456C in stock",
    "QQ123456C sample NINO", "passport photo size 35x45 mm", "Passport: valid", J({"passport_expiry": "2030-01-01"}),
    "order 111.222.333-44", "code 2341 2341 2346 printed", "ids 130 692 544", "SIN card replaced",
    J({"national_id_type": "passport"}), "version 1.2.3", "tax year 2023", "passport office closed",
    "ref CE123456E", J({"country": "BR", "document": "cpf"}), "phone 111.222.333-44 x", "route A1 123456",
]:
    add("national_id", neg)

# ---------------------------------------------------------------- date_of_birth
for i in range(22):
    y, m, d = R.randint(1940, 2005), R.randint(1, 12), R.randint(1, 28)
    t = [
        lambda: J({"patient": {"dob": "%d-%02d-%02d" % (y, m, d)}}),
        lambda: J({"date_of_birth": "%02d/%02d/%d" % (m, d, y)}),
        lambda: "DOB: %02d/%02d/%d" % (m, d, y),
        lambda: "%s INFO kyc: applicant born %d-%02d-%02d accepted" % (ts(), y, m, d),
        lambda: "<td>Date of birth</td><td>%02d.%02d.%d</td>" % (d, m, y),
        lambda: J({"users": [{"birthDate": "%d-%02d-%02dT00:00:00Z" % (y, m, d)}]}),
    ][i % 6]()
    val = t.split('"')[-2] if t.startswith("{") else None
    if val and val.startswith("%d" % y) or (val and "/" in val):
        t = t.replace(val, mark("date_of_birth", val))
    else:
        for cand in ["%02d/%02d/%d" % (m, d, y), "%d-%02d-%02d" % (y, m, d), "%02d.%02d.%d" % (d, m, y)]:
            if cand in t:
                t = t.replace(cand, mark("date_of_birth", cand))
                break
    add("date_of_birth", t)
for neg in [
    J({"created_at": "2024-05-01T10:00:00Z"}), "2024-05-01 10:22:33 INFO started", "expires 2025-12-31",
    J({"date": "1987-05-14"}), J({"dob": None}), J({"dob": ""}), "released on 1999-12-31", "invoice date 03/04/2021",
    J({"updated_at": "1990-01-01"}), "dob: unknown", "deadline 05/14/2026", "log rotated 14.05.2024",
    J({"birth_year_range": "1980-1990"}), "born to run 1975", "version 2023.10.01", "build 2021-13-45",
    J({"dob": "not provided"}), "date of birth: ____", "since 01/01/1970", J({"last_login": "2024-02-29"}),
]:
    add("date_of_birth", neg)

# ---------------------------------------------------------------- address
STREETS = ["Oak", "Maple", "Cedar", "Elm", "Willow", "Lakeview", "Sunset", "Highland", "Pine", "Riverside", "Hawthorne"]
SUFFIX = ["Street", "Avenue", "Road", "Lane", "Drive", "Court", "Blvd", "Way", "St", "Ave"]
for i in range(22):
    a = "%d %s %s" % (R.randint(2, 9999), R.choice(STREETS), R.choice(SUFFIX))
    t = [
        lambda: J({"address": {"street": "V", "city": "Springfield", "zip": "62704"}}),
        lambda: J({"shipping_address": "V, Portland, OR 97201"}),
        lambda: "%s INFO orders: ship to V, Austin TX" % ts(),
        lambda: "<address>V<br>Denver, CO</address>",
        lambda: "%d,%s,V,Boston" % (R.randint(1, 99), R.choice(FIRST)),
        lambda: J({"customer": {"address_line1": "V"}}),
    ][i % 6]()
    if "shipping_address" in t:
        t = t.replace("V, Portland, OR 97201", mark("address", a + ", Portland, OR 97201"))
    add("address", t.replace("V", mark("address", a)))
for de in ["Hauptstraße 12", "Lindenweg 3"]:
    add("address", "Lieferadresse: %s, 10115 Berlin" % mark("address", de))
for neg in [
    "Wall Street Journal reports", "Main St is closed", J({"ip_address": None}), J({"mac_address": "00:1A:2B:3C:4D:5E"}),
    J({"email_address": None}), "Street Fighter 2 Turbo", "Suite 100", J({"address": "0x71C7656EC7ab88b098defB751B7401B5f6d8976F"}),
    "Route 66 Diner", J({"address": None}), "drive 3 miles", "Chapter 12 Drive", "st 4 Street", "Abbey Road album",
    J({"billing_address_id": 42}), "Lane 4 closed", "version 2 Way", J({"street_view": True}), "5 St", "Straße gesperrt",
]:
    add("address", neg)

# ---------------------------------------------------------------- name
for i in range(22):
    f, l = name()
    t = [
        lambda: J({"first_name": mark("name", f), "last_name": mark("name", l), "id": R.randint(1, 999)}),
        lambda: J({"customer": {"name": mark("name", f + " " + l), "tier": "gold"}}),
        lambda: J({"users": [{"full_name": mark("name", f + " " + l)}]}),
        lambda: "Name: %s" % mark("name", f + " " + l),
        lambda: "Dear %s, your order has shipped." % mark("name", f + " " + l),
        lambda: J({"cardholder_name": mark("name", f + " " + l)}),
    ][i % 6]()
    add("name", t)
for neg in [
    J({"product": {"name": "Widget Pro"}}), J({"username": "jdoe42"}), J({"name": "Premium Plan"}), "Dear Customer,",
    "hostname: web-01", "name: null", J({"user": {"name": "admin"}}), J({"file_name": "Report Q3.pdf"}), "class Name: pass",
    J({"first_name": None}), J({"team": {"name": "Platform Team"}}), "username: maria", J({"name": "Berlin"}),
    J({"display_name": "x_gamer_99"}), "Dear Sir or Madam", J({"last_name": ""}), J({"customer": {"name": "N/A"}}),
    "tablename=orders", J({"full_name": "Unknown"}), J({"service": {"name": "Payments API"}}),
]:
    add("name", neg)

# ---------------------------------------------------------------- password
for i in range(22):
    pw = R.choice(["Tr0ub4dor&3", "hunter2!x", "S3cure#Pass", "maria1987!", "P@ssw0rd2024", "qwerty!234", "Sunflower#77",
                   "letmein_99", "N0v3mber!", "Blue-Horse-42"]) + rs(2, string.digits)
    t = [
        lambda: J({"user": {"email_verified": True, "password": mark("password", pw)}}),
        lambda: "%s DEBUG auth: login attempt user=bob password=%s" % (ts(), mark("password", pw)),
        lambda: "DB_PASSWORD=%s" % mark("password", pw),
        lambda: "  password: %s" % mark("password", pw),
        lambda: J({"smtp": {"host": "smtp.mailbox.org", "pass": mark("password", pw)}}),
        lambda: "<input type=\"hidden\" name=\"pwd\" value=\"x\"> pwd=%s" % mark("password", pw),
    ][i % 6]()
    add("password", t)
for neg in [
    J({"password": "********"}), J({"password": None}), J({"password_reset_expires": "2024-05-01T00:00:00Z"}),
    J({"password": "<redacted>"}), J({"passwordPolicy": "min 12 chars"}), '<a href="/forgot">Forgot password?</a>',
    J({"password": "${DB_PASSWORD}"}), J({"password_changed_at": "2024-01-01"}), "password: changeme",
    J({"password": ""}), "password=[FILTERED]", J({"password_required": True}), "password_min_length=12",
    "Enter your password below", J({"passport_photo": "uploaded"}), "bypass=true", J({"password": "{{ password }}"}),
    "password: %s", J({"password_field": "pwd"}), "passwords must match",
]:
    add("password", neg)
# JavaScript binds names to expressions, minified or not: the secret is not here. Environment
# listings hold directories under PWD/OLDPWD. Quoted literals in the same code still count.
for neg in [
    'n.password=e.value,n.remember=!0', 'const password = passwordInput.value;', '{username:t,password:n}',
    'login({email:r.email,password:e.target.value})', 'this.setState({password:this.props.password})',
    'let pwd = document.getElementById("pwd").value', 'password: await prompt(), retries: 3',
    J({"PWD": "/srv/app", "OLDPWD": "/srv", "HOME": "/home/app", "PATH": "/usr/local/bin:/usr/bin", "LANG": "C.UTF-8"}),
    "PWD=/srv/app⏎OLDPWD=/srv⏎HOME=/home/app", J({"env": {"PWD": "C:\\inetpub\\app", "OLDPWD": "~/deploy"}}),
]:
    add("password", neg)
add("password", 'var c={user:"ops",password:"%s"};' % mark("password", "Blue-Horse-4217"))
add("password", 'e.defaults={apiBase:"/api",password:\'%s\'}' % mark("password", "Sunflower#7781"))

# ---------------------------------------------------------------- password_hash
def bcrypt():
    return "$2b$12$" + rs(53, B62 + "./")


for i in range(22):
    h = [
        bcrypt,
        lambda: "$argon2id$v=19$m=65536,t=3,p=4$%s$%s" % (rs(22, B62 + "+/"), rs(43, B62 + "+/")),
        lambda: "pbkdf2_sha256$600000$%s$%s=" % (rs(22), rs(43, B62 + "+/")),
        lambda: "pbkdf2:sha256:600000$%s$%s" % (rs(16), rs(64, "0123456789abcdef")),
        lambda: "scrypt:32768:8:1$%s$%s" % (rs(16), rs(128, "0123456789abcdef")),
        lambda: "$6$%s$%s" % (rs(16, B62 + "./"), rs(86, B62 + "./")),
        lambda: hashlib.sha256(rs(12).encode()).hexdigest(),
        lambda: hashlib.md5(rs(12).encode()).hexdigest(),
    ][i % 8]()
    if len(h) in (32, 64):
        key = "password_hash" if len(h) == 64 else "password"
        t = J({"users": [{"id": R.randint(1, 99), key: mark("password_hash", h)}]})
    else:
        t = [
            lambda: J({"user": {"id": R.randint(1, 999), "password_hash": mark("password_hash", h)}}),
            lambda: "INSERT INTO users VALUES (%d, 'x', '%s');" % (R.randint(1, 99), mark("password_hash", h)),
            lambda: "admin:%s" % mark("password_hash", h),
        ][i % 3]()
    add("password_hash", t)
for neg in [
    J({"sha256": hashlib.sha256(b"file").hexdigest()}), "commit " + hashlib.sha1(b"c").hexdigest(), "docs: $2b$12$...",
    "$6$rounds=5000$", J({"etag": hashlib.md5(b"e").hexdigest()}), "costs $5.99 and $6.49", "$2b$10$" + "x" * 53,
    J({"checksum": hashlib.md5(b"x").hexdigest()}), "price: $1$ per unit", "pbkdf2_sha256$", "scrypt: not configured",
    J({"password_hash": None}), "hash algorithm: argon2id", J({"content_hash": hashlib.sha256(b"y").hexdigest()}),
    "see $argon2id$v=19$m=65536 docs", J({"request_id": hashlib.sha1(b"r").hexdigest()}), "sha512: " + hashlib.sha512(b"z").hexdigest(),
    "bcrypt cost $2b$ 12", J({"password_hash": "<hash>"}), "integrity sha384-" + rs(64, B62),
]:
    add("password_hash", neg)

# ---------------------------------------------------------------- api_key
AWS_B32 = string.ascii_uppercase + "234567"
for i in range(24):
    k = [
        lambda: "AKIA" + rs(16, AWS_B32), lambda: "ghp_" + rs(36), lambda: "sk_live_" + rs(24), lambda: "AIza" + rs(35, B62 + "_-"),
        lambda: "SG." + rs(22, B62 + "_-") + "." + rs(43, B62 + "_-"), lambda: "npm_" + rs(36), lambda: "glpat-" + rs(20, B62 + "_-"),
        lambda: "github_pat_" + rs(22) + "_" + rs(59), lambda: rs(32, "0123456789abcdef"),
    ][i % 9]()
    if i % 9 == 8:
        t = R.choice([J({"config": {"api_key": mark("api_key", k)}}), "X-API-Key: %s" % mark("api_key", k)])
    else:
        t = [
            lambda: "AWS_ACCESS_KEY_ID=%s" % mark("api_key", k),
            lambda: J({"integrations": {"stripe": {"key": mark("api_key", k)}}}),
            lambda: "%s WARN http: request failed url=https://api.svc/v1?key=%s" % (ts(), mark("api_key", k)),
            lambda: "<script>const KEY = \"%s\";</script>" % mark("api_key", k),
        ][i % 4]()
    add("api_key", t)
for neg in [
    "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "Use sk_test_4eC39HqLyjWDarjtT1zdp7dc in test mode", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
    "token ghp_" + "x" * 36, J({"api_key": "YOUR_API_KEY"}), J({"api_key": "<api-key>"}), "pk_live_" + rs(24), "AIza" + rs(10),
    J({"api_key": "test"}), J({"key": "color", "value": "blue"}), J({"apiKeyHeader": "X-API-Key"}), "AKIA" + rs(10, AWS_B32),
    "ghp_" + rs(20), J({"api_key": None}), "api_key=${API_KEY}", "sk_test_" + rs(24), J({"primary_key": "id"}),
    J({"key_id": "550e8400-e29b-41d4-a716-446655440000"}), "keyboard shortcut ctrl+k", "monkey=business",
    "glpat-xxxxxxxxxxxxxxxxxxxx",
]:
    add("api_key", neg)
for neg in [
    "r={apiKey:this.props.apiKey,baseUrl:n}", "headers:{\"X-Api-Key\":e.apiKey}", "api_key=encodeURIComponent(window.API_KEY)",
    "const apiKey = getApiKeyFromStorageOrDefault();", "apikey:a.default.get(\"apiKey\")",
]:
    add("api_key", neg)

# ---------------------------------------------------------------- token
for i in range(22):
    f, l = name()
    k = [
        lambda: jwt({"sub": str(R.randint(1000, 99999)), "email": email(), "exp": 1735689600}),
        lambda: jwt({"sub": rs(12), "role": "user", "iat": 1714557600}),
        lambda: "xoxb-%d-%d-%s" % (R.randint(10 ** 10, 10 ** 11), R.randint(10 ** 11, 10 ** 12), rs(24)),
        lambda: rs(40, B62 + "-_"),
    ][i % 4]()
    if i % 4 == 3:
        t = R.choice(["Authorization: Bearer %s" % mark("token", k), J({"access_token": mark("token", k), "token_type": "Bearer"})])
    else:
        t = [
            lambda: J({"session": {"token": mark("token", k)}}),
            lambda: "%s DEBUG proxy: forwarding Authorization: Bearer %s" % (ts(), mark("token", k)),
            lambda: "SLACK_TOKEN=%s" % mark("token", k),
        ][i % 3]()
    add("token", t)
SAMPLE_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
for neg in [
    "Example: " + SAMPLE_JWT, J({"token_type": "Bearer", "expires_in": 3600}), "Authorization: Bearer <token>",
    J({"tokens_used": 1234}), "eyJhbGciOi truncated", "Authorization: Bearer YOUR_TOKEN_HERE", J({"max_tokens": 256}),
    J({"access_token": None}), J({"csrf_token": ""}), "bearer token required", "xoxb-", J({"token": "null"}),
    "tokenizer: bpe", J({"refresh_token_ttl": 86400}), "Bearer realm=\"api\"", J({"token": "********"}),
    "eyJ0eXAiOiJKV1QifQ.bad.sig", J({"next_page_token": None}), "token count: 42", J({"token": "abc"}),
]:
    add("token", neg)
for neg in [
    "let token = getTokenFromSessionStorage();", "access_token:t.accessTokenFromResponse,", "o.token=localStorage.getItem(\"tok\")",
    "refreshToken: await this.auth.refreshAccessToken(),",
]:
    add("token", neg)

# ---------------------------------------------------------------- private_key
labels = ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]
for i in range(22):
    lab = labels[i % 5]
    if i % 3 == 0:
        t = J({"deploy": {"ssh_key": "KEY"}}).replace("KEY", mark("private_key", pem(lab, sep="\\n")))
    elif i % 3 == 1:
        t = "%s ERROR config dump: TLS_KEY=%s" % (ts(), mark("private_key", pem(lab)))
    else:
        t = "<pre>%s</pre>" % mark("private_key", pem(lab))
    add("private_key", t)
for neg in [
    pem("PUBLIC KEY"), pem("CERTIFICATE"), "-----BEGIN RSA PRIVATE KEY-----⏎...⏎-----END RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----⏎<your key here>⏎-----END PRIVATE KEY-----", J({"private_key_path": "/etc/ssl/key.pem"}),
    "paste the BEGIN PRIVATE KEY block here", pem("CERTIFICATE REQUEST"), "-----BEGIN PGP SIGNATURE-----", pem("RSA PUBLIC KEY"),
    J({"private_key": None}), "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host", "-----BEGIN OPENSSH PRIVATE KEY-----⏎xxxx⏎-----END OPENSSH PRIVATE KEY-----",
    "key file: id_rsa", pem("X509 CRL"), "-----BEGIN EC PARAMETERS-----⏎BggqhkjOPQMBBw==⏎-----END EC PARAMETERS-----",
    "private_key = \"\"", J({"private_key": "<redacted>"}), "# -----BEGIN PRIVATE KEY----- goes below", pem("DH PARAMETERS"),
    "-----BEGIN PRIVATE KEY-----⏎MIIE...⏎-----END PRIVATE KEY-----", "PRIVATE KEY-----",
]:
    add("private_key", neg)

# ---------------------------------------------------------------- secret
for i in range(22):
    v = [lambda: rs(40, B62 + "/+"), lambda: rs(32), lambda: "whsec_" + rs(32),
         lambda: "https://hooks.slack.com/services/T%s/B%s/%s" % (rs(8, string.ascii_uppercase + string.digits), rs(10, string.ascii_uppercase + string.digits), rs(24))][i % 4]()
    if v.startswith("https://hooks"):
        t = "webhook=%s" % v.replace(v[8:], mark("secret", v[8:]))
    elif v.startswith("whsec_"):
        t = "STRIPE_WEBHOOK=%s" % mark("secret", v)
    else:
        t = [
            lambda: J({"oauth": {"client_id": "web", "client_secret": mark("secret", v)}}),
            lambda: "aws_secret_access_key = %s" % mark("secret", v),
            lambda: "SECRET_KEY=%s" % mark("secret", v),
            lambda: J({"app": {"jwt_secret": mark("secret", v)}}),
        ][i % 4]()
    add("secret", t)
for neg in [
    J({"client_secret": "<client-secret>"}), "secret: changeme", "SECRET_KEY=your-secret-key", J({"secret_santa": "enabled"}),
    J({"secret": True}), J({"secretary": "Maria"}), "client_secret=${CLIENT_SECRET}", J({"secret": None}),
    "secret_key: xxxxxxxxxxxxxxxxxxxx", "hooks.slack.com/services/T000/B000/XXX", J({"has_secret": False}),
    "top secret plans", J({"secret_rotation_days": 90}), "SECRET_KEY=dev", J({"client_secret": "****************"}),
    "secret=aaaaaaaaaaaaaaaaaaaaaaaa", J({"secret_name": "prod/db"}), "whsec_" + "x" * 32, "secret: {{ vault.secret }}",
    J({"client_secret_expires_at": 0}),
]:
    add("secret", neg)
for neg in [
    "t.secret=encodeURIComponent(SECRET_VALUE_FROM_ENV)", 'r={clientSecret:this.props.clientSecret,scope:"read"}',
    "const secret = process.env.WEBHOOK_SECRET_TOKEN;", "secret:o.a.SIGNING_SECRET_VALUE,", "jwtSecret: config.auth.jwtSecret,",
]:
    add("secret", neg)
add("secret", 'window.__CONFIG__={clientSecret:"%s"}' % mark("secret", "Zq8vR2mWkX4pLt7NbY3cHs9FdJ6gAe1u"))

# ---------------------------------------------------------------- ip_address
for i in range(24):
    ip = public_ip() if i % 3 else "%s.%d.%d.%d" % (R.choice(["10", "192.168", "172.16"]).split(".")[0] if False else "10", R.randint(0, 255), R.randint(0, 255), R.randint(1, 254))
    if i % 6 == 3:
        ip = "192.168.%d.%d" % (R.randint(0, 255), R.randint(1, 254))
    t = [
        lambda: '%s - - [01/May/2024:10:22:33 +0000] "GET /api/users HTTP/1.1" 200 512' % mark("ip_address", ip),
        lambda: J({"user": {"last_login_ip": mark("ip_address", ip)}}),
        lambda: "X-Forwarded-For: %s" % mark("ip_address", ip),
        lambda: "OperationalError: could not connect to server at %s:5432" % mark("ip_address", ip),
        lambda: "%s INFO auth: client %s rate limited" % (ts(), mark("ip_address", ip)),
        lambda: "<!-- backend %s -->" % mark("ip_address", ip),
    ][i % 6]()
    add("ip_address", t)
for neg in [
    "version 1.2.3.4", J({"version": "4.2.1.7"}), "Windows v10.0.19041.1", "Chrome/120.0.6099.109 Safari/537.36",
    "OID 1.3.6.1.4.1.311", "listening on 127.0.0.1:8080", "bind 0.0.0.0", "netmask 255.255.255.0", "see 192.0.2.10 in docs",
    "section 2.1.3.4 of the spec", "dated 01.02.2024", "release 3.10.12.1 notes", J({"build": "10.0.22621.2428"}),
    "ratio 1.5.2", "multicast 239.255.255.250", "1.02.03.04", "pkg@1.2.3", "x10.0.0.1y", "libfoo.so.1.2.3.4", "step 1.1.1.1.1",
]:
    add("ip_address", neg)

for kind, lines in CASES.items():
    with open(os.path.join(HERE, kind + ".txt"), "w", encoding="utf-8") as f:
        f.write("# %s: [[type:value]] marks expected findings; unmarked lines are look-alikes. Generated by generate.py.\n" % kind)
        for line in lines:
            assert "\n" not in line, line
            f.write(line + "\n")
print({k: len(v) for k, v in CASES.items()})
