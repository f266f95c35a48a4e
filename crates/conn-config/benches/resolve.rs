//! Resolution cost, beside its floor: `url::Url::parse` of the same URI, in the same run.
//!
//! `cargo bench -p conn-config --bench resolve`
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

criterion_group!(benches, resolve);
criterion_main!(benches);
