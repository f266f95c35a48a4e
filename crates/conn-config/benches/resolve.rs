//! Resolution cost, beside its floor: `url::Url::parse` of the same URI, in the same run.
//!
//! `cargo bench -p conn-config --bench resolve` (the `.env` shapes alone:
//! `cargo bench -p conn-config --bench resolve -- "dotenv shapes"`)
#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

use std::hint::black_box;

use conn_config::{ConnectArgs, DotEnv, MapEnv, Resolver};
use criterion::{Criterion, criterion_group, criterion_main};

const URI: &str = "https://root:Milvus@in01-abc.cloud.example.com:19530/analytics";

fn resolve(c: &mut Criterion) {
    let mut g = c.benchmark_group("resolve");

    g.bench_function("floor: url::Url::parse", |b| {
        b.iter(|| url::Url::parse(black_box(URI)))
    });

    let isolated = Resolver::isolated();
    let args = ConnectArgs::new().uri(URI);
    g.bench_function("explicit uri", |b| {
        b.iter(|| isolated.resolve(black_box(&args)))
    });

    let env = Resolver::with_env(MapEnv::from_pairs([
        ("MILVUS_URI", URI),
        ("MILVUS_CONN_TIMEOUT", "5"),
    ]))
    .dotenv(DotEnv::Disabled);
    let none = ConnectArgs::new();
    g.bench_function("environment only", |b| {
        b.iter(|| env.resolve(black_box(&none)))
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let mut content = String::new();
    for i in 0..14 {
        content.push_str(&format!("OTHER_VAR_{i}=value-{i}\n"));
    }
    content.push_str(&format!(
        "MILVUS_URI={URI}\nMILVUS_CONN_TIMEOUT=5\nMILVUS_DB_NAME=db\nMILVUS_CONN_ALIAS=default\n# comment\nexport MILVUS_TOKEN=\"tok\"\n"
    ));
    std::fs::write(dir.path().join(".env"), content).expect("write .env");
    let dotenv = Resolver::with_env(MapEnv::new().current_dir(dir.path()));
    g.bench_function(".env of 20 lines (search from cwd)", |b| {
        b.iter(|| dotenv.resolve(black_box(&none)))
    });

    let full = ConnectArgs::new()
        .uri(URI)
        .token("token-value")
        .db_name("db")
        .server_pem_path("/etc/milvus/server.pem")
        .ca_pem_path("/etc/milvus/ca.pem")
        .client_pem_path("/etc/milvus/client.pem")
        .client_key_path("/etc/milvus/client.key")
        .server_name("milvus.internal")
        .timeout(3);
    g.bench_function("full TLS + credentials", |b| {
        b.iter(|| isolated.resolve(black_box(&full)))
    });
    g.finish();
}

/// `.env` shapes that were slow or huge before issue 11, each at half the size limit and at
/// the limit (1 MiB): linear parsing shows as a time ratio of about 2 between the two.
fn dotenv_shapes(c: &mut Criterion) {
    #[allow(clippy::type_complexity)]
    let shapes: &[(&str, fn(usize) -> String)] = &[
        ("spaces, open quote, newlines", |n| {
            format!("{}\"{}", " ".repeat(n - n / 50 - 1), "\n".repeat(n / 50))
        }),
        ("one long line", |n| format!("K={}", "v".repeat(n - 2))),
        ("many lines", |n| "K=v\n".repeat(n / 4)),
        ("nested quotes over lines", |n| {
            format!("K=\"{}", "'\\\"'\n".repeat((n - 3) / 5))
        }),
        ("$ runs", |n| format!("K={}", "$".repeat(n - 2))),
        ("a value doubling itself", |n| {
            format!("A=x\n{}", "A=$A$A\n".repeat((n - 4) / 7))
        }),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let none = ConnectArgs::new();
    let mut g = c.benchmark_group("dotenv shapes");
    g.sample_size(20);
    for (name, make) in shapes {
        for size in [512 << 10, 1 << 20] {
            let content = make(size);
            assert!(content.len() <= 1 << 20, "{name}: {} bytes", content.len());
            let path = dir
                .path()
                .join(format!("{}-{size}.env", name.replace(' ', "_")));
            std::fs::write(&path, &content).expect("write .env");
            let resolver = Resolver::with_env(MapEnv::new()).dotenv(DotEnv::Path(path));
            g.bench_function(format!("{name} / {} KiB", size >> 10), |b| {
                b.iter(|| resolver.resolve(black_box(&none)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, resolve, dotenv_shapes);
criterion_main!(benches);
