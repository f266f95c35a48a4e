use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn pairs(content: &str) -> Vec<Entry> {
    parse(content, &no_env)
}

fn pair(key: &str, value: &str, line: u32) -> Entry {
    Entry::Pair {
        key: key.into(),
        value: value.into(),
        line,
    }
}

#[test]
fn dialect_table() {
    let rows: &[(&str, Vec<Entry>)] = &[
        ("K=v", vec![pair("K", "v", 1)]),
        ("K=v # comment", vec![pair("K", "v", 1)]),
        ("K=v#not-a-comment", vec![pair("K", "v#not-a-comment", 1)]),
        ("export K=v", vec![pair("K", "v", 1)]),
        ("export=v", vec![pair("export", "v", 1)]),
        ("  K = v  ", vec![pair("K", "v", 1)]),
        ("K='a b $X'", vec![pair("K", "a b $X", 1)]),
        ("K=\"a\\\"b\\n\\$c\"", vec![pair("K", "a\"b\n$c", 1)]),
        (
            "K=\"line1\nline2\"\nJ=2",
            vec![pair("K", "line1\nline2", 1), pair("J", "2", 3)],
        ),
        ("K=", vec![pair("K", "", 1)]),
        ("K= # nothing", vec![pair("K", "", 1)]),
        ("# c\n\n  # c2\nK=1", vec![pair("K", "1", 4)]),
        ("K=a b", vec![Entry::Invalid { line: 1 }]),
        ("1K=v", vec![Entry::Invalid { line: 1 }]),
        ("K v", vec![Entry::Invalid { line: 1 }]),
        ("K=\"open\nstill open", vec![Entry::Invalid { line: 1 }]),
        ("K=\\q", vec![Entry::Invalid { line: 1 }]),
        (
            "\u{feff}K=v\r\nJ=w\r\n",
            vec![pair("K", "v", 1), pair("J", "w", 2)],
        ),
        (
            "A=x\nB=${A}y\nC=$A.z\nD='${A}'",
            vec![
                pair("A", "x", 1),
                pair("B", "xy", 2),
                pair("C", "x.z", 3),
                pair("D", "${A}", 4),
            ],
        ),
        ("B=${UNSET}!", vec![pair("B", "!", 1)]),
        ("B=${OPEN", vec![Entry::Invalid { line: 1 }]),
        (
            "B=$ # a comment after an empty reference",
            vec![pair("B", "", 1)],
        ),
    ];
    for (input, expected) in rows {
        assert_eq!(&pairs(input), expected, "{input:?}");
    }
}

#[test]
fn interpolation_asks_the_seam_first_then_earlier_keys() {
    let env = |name: &str| (name == "HOST").then(|| "from-env".to_owned());
    let got = parse("HOST=from-file\nU=http://${HOST}:1\nV=$HOST\n", &env);
    assert_eq!(
        got,
        vec![
            pair("HOST", "from-file", 1),
            pair("U", "http://from-env:1", 2),
            pair("V", "from-env", 3)
        ]
    );
    let got = parse("HOST2=from-file\nU=${HOST2}\n", &env);
    assert_eq!(got[1], pair("U", "from-file", 2));
}

/// The same entries as dotenvy's own iterator on inputs without `$` (where dotenvy
/// would read the process environment): keys, values, and which entries fail.
fn dotenvy_entries(content: &str) -> Vec<Result<(String, String), ()>> {
    dotenvy::from_read_iter(content.as_bytes())
        .map(|r| r.map_err(|_| ()))
        .collect()
}

fn ours(content: &str) -> Vec<Result<(String, String), ()>> {
    parse(content, &no_env)
        .into_iter()
        .map(|e| match e {
            Entry::Pair { key, value, .. } => Ok((key, value)),
            Entry::Invalid { .. } | Entry::ValueTooLarge { .. } | Entry::OverBudget { .. } => {
                Err(())
            }
        })
        .collect()
}

#[test]
fn same_as_dotenvy_on_the_table() {
    for input in [
        "K=v\nexport J = 'x y' # c\n#c\nL=\"a\nb\"\nbad line\nM=\\ \n",
        "A=1\r\nB=\"q\\\"\"\r\n",
        "K=\"never closed\n",
        "  \n\t\nK=v",
        "export export=1",
        "B=x\\ # c",
        // `$` with an empty name: dotenvy's lookup of "" never finds anything.
        "B=$ # c\nC=$\n",
    ] {
        assert_eq!(ours(input), dotenvy_entries(input), "{input:?}");
    }
}

/// The steps `parse_with` takes over `content`, with no environment.
fn steps(content: &str) -> u64 {
    parse_with(content, &no_env, &mut |_| {})
}

/// Shapes that cost more than linear time in naive parsers (and in this one before: a
/// long run of white space before an open quote was rescanned at every later line),
/// each built at a size of about `n` bytes.
#[allow(clippy::type_complexity)]
const SHAPES: &[(&str, fn(usize) -> String)] = &[
    ("spaces, an open quote, newlines", |n| {
        format!("{}\"{}", " ".repeat(n), "\n".repeat(n / 50))
    }),
    ("spaces, a key, an open quote, newlines", |n| {
        format!("{}K=\"{}", " ".repeat(n), "x\n".repeat(n / 50))
    }),
    ("one long line", |n| format!("K={}", "v".repeat(n))),
    ("one long line of blanks", |n| {
        format!("K=v{}", " ".repeat(n))
    }),
    ("many lines", |n| "K=v\n".repeat(n / 4)),
    ("many blank lines", |n| " \n".repeat(n / 2)),
    ("many comment lines", |n| "  # c\n".repeat(n / 6)),
    ("many bad lines", |n| "bad\n".repeat(n / 4)),
    ("nested quotes over lines", |n| {
        format!("K=\"{}", "'\\\"'\n".repeat(n / 5))
    }),
    ("alternating quotes", |n| {
        format!("K={}", "'\"'\"".repeat(n / 4))
    }),
    ("escapes", |n| format!("K={}", "\\ ".repeat(n / 2))),
    ("$ runs", |n| format!("K={}", "$".repeat(n))),
    ("$ runs in quotes", |n| format!("K=\"{}\"", "$".repeat(n))),
    ("an unclosed ${", |n| format!("K=${{{}", "a".repeat(n))),
    ("many ${} references", |n| {
        format!("K={}", "${A}".repeat(n / 4))
    }),
    ("references to a long value", |n| {
        format!("A={}\n{}", "v".repeat(4096), "B=$A$A\n".repeat(n / 7))
    }),
    ("a value doubling itself", |n| {
        format!("A=x\n{}", "A=$A$A\n".repeat(n / 7))
    }),
];

/// Doubling the input doubles the work, give or take: linear time on every shape.
#[test]
fn work_is_linear_in_the_input() {
    for (shape, make) in SHAPES {
        let (small, large) = (make(64 << 10), make(128 << 10));
        let (a, b) = (steps(&small), steps(&large));
        assert!(b > a, "{shape}: {a} steps, then {b} for twice the input");
        let ratio = b as f64 / a as f64;
        assert!(
            ratio <= 2.25,
            "{shape}: {a} steps for {} bytes, {b} for {} bytes (x{ratio:.2})",
            small.len(),
            large.len()
        );
        // And a small multiple of the size (interpolation copies count as steps too, up
        // to the budget of 1 MiB).
        let bound = step_bound(large.len());
        assert!(b <= bound, "{shape}: {b} steps for {} bytes", large.len());
    }
}

/// The file: 1 MiB of spaces, an open quote and 20,000 newlines (19 s before).
#[test]
fn a_megabyte_of_spaces_before_an_open_quote_parses_in_linear_steps() {
    let content = format!("{}\"{}", " ".repeat(MAX_FILE - 20_001), "\n".repeat(20_000));
    let mut entries = Vec::new();
    let n = parse_with(&content, &no_env, &mut |e| entries.push(e));
    assert_eq!(entries, vec![Entry::Invalid { line: 1 }]);
    assert!(n <= 4 * content.len() as u64, "{n} steps");
}

#[test]
fn a_value_doubling_itself_stops_at_the_value_limit_with_its_line() {
    // Line k holds 2^(k-1) bytes: line 17 has 65536 (the limit), line 18 would have
    // twice that; A keeps its line-17 value, so every later line is too large as well,
    // until the first `$A` of each such line (copied before the second one overflows)
    // has spent the file's interpolation budget: from then on, over budget.
    let content = format!("A=x\n{}", "A=$A$A\n".repeat(40));
    let entries = pairs(&content);
    assert_eq!(entries.len(), 41);
    let spent: usize = (1..=16).map(|k| 1 << k).sum();
    let failing_copies = (MAX_INTERPOLATED - spent) / MAX_VALUE;
    assert_eq!(failing_copies, 14);
    for (i, e) in entries.iter().enumerate() {
        let line = i as u32 + 1;
        let expected = match line {
            ..=17 => pair("A", &"x".repeat(1 << i), line),
            18..=31 => Entry::ValueTooLarge { line },
            _ => Entry::OverBudget { line },
        };
        assert_eq!(e, &expected, "line {line}");
    }
}

#[test]
fn interpolation_stops_at_the_file_budget() {
    // 60 KiB copied per line: the 18th copy would pass 1 MiB.
    let big = "v".repeat(60 << 10);
    let content = format!("A={big}\n{}", "B=$A\n".repeat(20));
    let entries = pairs(&content);
    let copies = MAX_INTERPOLATED / big.len();
    assert_eq!(copies, 17);
    for (i, e) in entries.iter().enumerate().skip(1) {
        let line = i as u32 + 1;
        if i <= copies {
            assert_eq!(e, &pair("B", &big, line), "line {line}");
        } else {
            assert_eq!(e, &Entry::OverBudget { line }, "line {line}");
        }
    }
    // Values that copy nothing still parse after the budget is spent.
    let content = format!("A={big}\n{}C=$UNSET.ok\nD=plain", "B=$A\n".repeat(20));
    let entries = pairs(&content);
    assert_eq!(entries[21], pair("C", ".ok", 22));
    assert_eq!(entries[22], pair("D", "plain", 23));
}

#[test]
fn value_limit_cases() {
    let at_limit = "v".repeat(MAX_VALUE);
    let env = |name: &str| match name {
        "HUGE" => Some("h".repeat(MAX_VALUE + 1)),
        "HALF" => Some("h".repeat(MAX_VALUE / 2)),
        _ => None,
    };
    let rows: Vec<(String, Entry)> = vec![
        // A literal value at the limit is fine; one byte more is not.
        (format!("K={at_limit}"), pair("K", &at_limit, 1)),
        (format!("K={at_limit}x"), Entry::ValueTooLarge { line: 1 }),
        (
            format!("K=\"{at_limit}x\""),
            Entry::ValueTooLarge { line: 1 },
        ),
        // An environment variable past the limit, at once.
        ("K=$HUGE".to_owned(), Entry::ValueTooLarge { line: 1 }),
        (
            "K=${HALF}${HALF}".to_owned(),
            pair("K", &"h".repeat(MAX_VALUE), 1),
        ),
        (
            "K=${HALF}${HALF}x".to_owned(),
            Entry::ValueTooLarge { line: 1 },
        ),
        // Too large and malformed: malformed, as dotenvy would say.
        ("K=${HUGE} bad".to_owned(), Entry::Invalid { line: 1 }),
        // (After a bare `$NAME`, dotenvy keeps a space as text.)
        ("K=$HUGE bad".to_owned(), Entry::ValueTooLarge { line: 1 }),
        ("K=\"$HUGE".to_owned(), Entry::Invalid { line: 1 }),
        ("K=${HUGE".to_owned(), Entry::Invalid { line: 1 }),
    ];
    for (input, expected) in rows {
        let got = parse(&input, &env);
        assert_eq!(got, vec![expected], "{}", &input[..input.len().min(40)]);
    }
}

#[test]
fn the_environment_is_asked_once_per_name() {
    let calls = std::cell::Cell::new(0);
    let env = |name: &str| {
        calls.set(calls.get() + 1);
        (name == "X").then(|| "x".to_owned())
    };
    let got = parse(&format!("K={}\nJ=$Y$Y\n", "$X".repeat(1000)), &env);
    assert_eq!(got[0], pair("K", &"x".repeat(1000), 1));
    assert_eq!(calls.get(), 2, "one lookup for X, one for Y");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
    #[test]
    fn same_as_dotenvy_without_interpolation(
        content in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::string::string_regex("[A-Za-z_][A-Za-z0-9_.]{0,3}").expect("regex"),
                proptest::sample::select(vec![
                    "=", " ", "\t", "\n", "\r\n", "'", "\"", "\\", "#", "export ", "x", "é",
                    "\\n", "\\\"", "1",
                ]).prop_map(str::to_owned),
            ],
            0..24,
        ).prop_map(|parts| parts.concat())
    ) {
        proptest::prop_assert_eq!(ours(&content), dotenvy_entries(&content), "{:?}", content);
    }
}

use proptest::strategy::Strategy as _;
