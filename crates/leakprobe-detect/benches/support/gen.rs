//! A deterministic generator of realistic scanner input: JSON API responses, HTML pages and log
//! lines, mostly harmless fields (ids, UUIDs, timestamps, prices, versions, hashes, ISBNs) with
//! sparse personal data and secrets. Shared by the benchmark and the `gen_log` example.
#![allow(dead_code)]

/// xorshift64*: tiny, seeded, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    pub fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize])).collect()
    }
    pub fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n).map(|_| char::from(A[self.below(A.len() as u64) as usize])).collect()
    }
    pub fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
    fn uuid(&mut self) -> String {
        format!("{}-{}-4{}-a{}-{}", self.hex(8), self.hex(4), self.hex(3), self.hex(3), self.hex(12))
    }
    fn ts(&mut self) -> String {
        format!(
            "2024-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            1 + self.below(12),
            1 + self.below(28),
            self.below(24),
            self.below(60),
            self.below(60)
        )
    }
}

const FIRST: &[&str] = &["Maria", "Jonas", "Aiko", "Priya", "Lucas", "Fatima", "Oliver", "Chloe", "Mateo", "Ingrid"];
const LAST: &[&str] = &["Lopez", "Becker", "Tanaka", "Raman", "Moreau", "Haddad", "Brennan", "Dubois", "Silva"];
const DOMAINS: &[&str] = &["fastmail.fm", "gmail.com", "outlook.com", "proton.me", "web.de"];
const PRODUCTS: &[&str] =
    &["Widget Pro", "Gadget Mini", "Cable USB-C 2m", "Desk Lamp", "Notebook A5", "Coffee Beans 1kg"];
const WORDS: &[&str] = &[
    "the", "order", "service", "request", "cache", "worker", "queue", "payment", "retry", "session", "upstream",
    "latency", "user", "token", "config", "deploy",
];

fn luhn_card(r: &mut Rng) -> String {
    let mut d: Vec<u8> = b"4".to_vec();
    for _ in 0..14 {
        d.push(b'0' + r.below(10) as u8);
    }
    for c in b'0'..=b'9' {
        let mut t = d.clone();
        t.push(c);
        let sum: u32 = t
            .iter()
            .rev()
            .enumerate()
            .map(|(i, x)| {
                let mut v = u32::from(x - b'0');
                if i % 2 == 1 {
                    v *= 2;
                    if v > 9 {
                        v -= 9;
                    }
                }
                v
            })
            .sum();
        if sum % 10 == 0 {
            return String::from_utf8(t).unwrap_or_default();
        }
    }
    String::new()
}

fn ssn(r: &mut Rng) -> String {
    format!("{:03}-{:02}-{:04}", 100 + r.below(565), 1 + r.below(98), 1 + r.below(9998))
}

fn email(r: &mut Rng) -> String {
    format!("{}.{}@{}", r.pick(FIRST).to_lowercase(), r.pick(LAST).to_lowercase(), r.pick(DOMAINS))
}

/// One JSON API response of a few KB; about one in 40 records carries PII.
pub fn json_response(r: &mut Rng) -> String {
    let mut items = Vec::new();
    for _ in 0..(8 + r.below(8)) {
        let pii = r.below(40) == 0;
        let mut s = format!(
            "{{\"id\":{},\"uuid\":\"{}\",\"sku\":\"SKU-{}\",\"name\":\"{}\",\"price\":{}.{:02},\"currency\":\"EUR\",\"created_at\":\"{}\",\"updated_at\":\"{}\",\"version\":\"{}.{}.{}\",\"isbn\":\"978-{}-{}-{}\",\"sha256\":\"{}\",\"order_id\":{},\"status\":\"{}\",\"tags\":[\"{}\",\"{}\"],\"stock\":{},\"rating\":{}.{}",
            r.below(1_000_000), r.uuid(), r.digits(8), r.pick(PRODUCTS), r.below(500), r.below(100), r.ts(), r.ts(),
            r.below(10), r.below(30), r.below(200), r.digits(1), r.digits(5), r.digits(4), r.hex(64), r.digits(10),
            r.pick(&["active", "archived", "pending"]), r.pick(WORDS), r.pick(WORDS), r.below(10_000), r.below(5), r.below(10)
        );
        if pii {
            let f = r.pick(FIRST);
            let l = r.pick(LAST);
            let (e, n, c) = (email(r), ssn(r), luhn_card(r));
            s.push_str(&format!(",\"customer\":{{\"name\":\"{f} {l}\",\"email\":\"{e}\",\"ssn\":\"{n}\",\"card_number\":\"{c}\",\"phone\":\"+1 415-{}-{}\"}}", 200 + r.below(700), r.digits(4)));
        }
        s.push('}');
        items.push(s);
    }
    format!(
        "{{\"data\":[{}],\"meta\":{{\"page\":{},\"per_page\":50,\"total\":{},\"request_id\":\"{}\"}}}}\n",
        items.join(","),
        r.below(100),
        r.below(100_000),
        r.uuid()
    )
}

/// An HTML page of a few KB with a table; rarely an e-mail or phone in it.
pub fn html_page(r: &mut Rng) -> String {
    let mut s = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>Orders</title><link rel=\"stylesheet\" href=\"/static/app.3f2a1b.css\"><style>@media screen and (max-width: 600px){.nav{display:none}}</style></head><body><nav class=\"nav\"><a href=\"/\">Home</a> <a href=\"/orders\">Orders</a></nav><table>\n");
    for _ in 0..(20 + r.below(20)) {
        s.push_str(&format!(
            "<tr data-id=\"{}\"><td>{}</td><td>{}</td><td>{}.{:02} EUR</td><td>{}</td><td><img src=\"/img/{}@2x.png\"></td></tr>\n",
            r.uuid(), r.digits(8), r.pick(PRODUCTS), r.below(900), r.below(100), &r.ts()[..10], r.hex(8)
        ));
        if r.below(60) == 0 {
            s.push_str(&format!(
                "<tr><td colspan=5>Contact: <a href=\"mailto:{}\">support</a>, Tel: (212) {}-{}</td></tr>\n",
                email(r),
                200 + r.below(700),
                r.digits(4)
            ));
        }
    }
    s.push_str(
        "</table><footer>v2.14.3 &copy; 2024</footer><script src=\"/static/app.9c1d2e.js\"></script></body></html>\n",
    );
    s
}

/// One log line; about one in 200 leaks something.
pub fn log_line(r: &mut Rng) -> String {
    let ts = r.ts();
    let n = r.below(200);
    match n {
        0 => format!(
            "{ts} INFO auth: login ok user={} ip=81.{}.{}.{}\n",
            email(r),
            r.below(256),
            r.below(256),
            1 + r.below(254)
        ),
        1 => format!("{ts} DEBUG payments: charge card={} amount={}.00\n", luhn_card(r), r.below(500)),
        2 => format!("{ts} DEBUG kyc: applicant ssn={} status=pending\n", ssn(r)),
        3 => format!(
            "{ts} WARN config: loaded AWS_ACCESS_KEY_ID=AKIA{} from env\n",
            r.alnum(16).to_uppercase().replace(['0', '1', '8', '9'], "Q")
        ),
        _ => format!(
            "{ts} {} {}: {} {} {} id={} trace={} took={}ms bytes={} v{}.{}.{}\n",
            r.pick(&["INFO", "INFO", "INFO", "DEBUG", "WARN"]),
            r.pick(WORDS),
            r.pick(WORDS),
            r.pick(WORDS),
            r.pick(WORDS),
            r.digits(9),
            r.hex(32),
            r.below(2000),
            r.below(1_000_000),
            r.below(5),
            r.below(20),
            r.below(100)
        ),
    }
}

/// One structured (JSON) log line, as services ship them to a log store; about one in 200 leaks
/// something.
pub fn json_log_line(r: &mut Rng) -> String {
    let ts = r.ts();
    let level = r.pick(&["INFO", "INFO", "INFO", "DEBUG", "WARN"]);
    let head = format!(
        "{{\"ts\":\"{ts}\",\"level\":\"{level}\",\"logger\":\"{}\",\"request_id\":\"{}\",\"trace_id\":\"{}\"",
        r.pick(WORDS),
        r.uuid(),
        r.hex(32)
    );
    let body = match r.below(200) {
        0 => format!(",\"msg\":\"login ok\",\"user\":\"{}\",\"client_ip\":\"81.{}.{}.{}\"", email(r), r.below(256), r.below(256), 1 + r.below(254)),
        1 => format!(",\"msg\":\"charge\",\"card\":\"{}\",\"amount\":{}.00", luhn_card(r), r.below(500)),
        2 => format!(",\"msg\":\"kyc check\",\"applicant\":{{\"ssn\":\"{}\",\"status\":\"pending\"}}", ssn(r)),
        3 => format!(",\"msg\":\"config loaded\",\"env\":\"AWS_ACCESS_KEY_ID=AKIA{}\"", r.alnum(16).to_uppercase().replace(['0', '1', '8', '9'], "Q")),
        _ => format!(
            ",\"msg\":\"{} {} {}\",\"method\":\"{}\",\"path\":\"/api/v{}/{}/{}\",\"status\":{},\"duration_ms\":{}.{},\"bytes\":{},\"user_id\":{},\"version\":\"{}.{}.{}\"",
            r.pick(WORDS), r.pick(WORDS), r.pick(WORDS), r.pick(&["GET", "GET", "POST", "PUT"]), 1 + r.below(3),
            r.pick(&["orders", "users", "carts", "invoices"]), r.digits(7), r.pick(&["200", "200", "201", "404", "500"]),
            r.below(2000), r.below(1000), r.below(1_000_000), r.below(10_000_000), r.below(5), r.below(20), r.below(100)
        ),
    };
    format!("{head}{body}}}\n")
}

/// About `bytes` of output from `f`, deterministically.
pub fn corpus(seed: u64, bytes: usize, mut f: impl FnMut(&mut Rng) -> String) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(bytes + 8192);
    while out.len() < bytes {
        out.extend_from_slice(f(&mut r).as_bytes());
    }
    out
}
