//! Dev-only: the full Milvus 2.3.5 API (messages and the `MilvusService` client), generated
//! by `build.rs` from the official milvus-proto in `third_party/milvus-proto/` (Apache-2.0;
//! see its README for the source commit), as a downstream SDK would generate it.
//!
//! Never a dependency of the library crates. Its test, `tests/real_milvus_sdk.rs`, runs this
//! client over [`conn_transport_tonic::MilvusConnection::service`] against the real Milvus.
//!
//! The modules allow the lints that generated code and the `.proto` files' comments (bare
//! URLs, brackets) would trip.
#![forbid(unsafe_code)]

mod retry;

/// The generated packages, each in a module of its own that allows those lints.
macro_rules! packages {
    ($($(#[$doc:meta])* $name:ident: $file:literal;)*) => {$(
        $(#[$doc])*
        pub mod $name {
            #![allow(
                missing_docs,
                clippy::all,
                unreachable_pub,
                rust_2018_idioms,
                rustdoc::all
            )]
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    )*};
}

packages! {
    /// Package `milvus.proto.common`: `Status`, `KeyValuePair`, `ErrorCode`, ...
    common: "milvus.proto.common.rs";
    /// Package `milvus.proto.schema`: `CollectionSchema`, `FieldSchema`, `FieldData`, ...
    schema: "milvus.proto.schema.rs";
    /// Package `milvus.proto.feder`.
    feder: "milvus.proto.feder.rs";
    /// Package `milvus.proto.msg`.
    msg: "milvus.proto.msg.rs";
    /// Package `milvus.proto.milvus`: every request and reply, and
    /// `milvus_service_client::MilvusServiceClient`.
    milvus: "milvus.proto.milvus.rs";
}

/// Builders for the messages the tests send often: a key and vector schema, the
/// `CreateCollection` and `Insert` requests for it, an `Int64` column, a float-vector
/// column, a key-value pair; and [`build::ok`], the check of a reply's status.
pub mod build {
    use conn_transport_tonic::prost::Message as _;

    use crate::common::{KeyValuePair, Status};
    use crate::milvus::{CreateCollectionRequest, InsertRequest};
    use crate::schema::{
        CollectionSchema, DataType, FieldData, FieldSchema, FloatArray, LongArray, ScalarField,
        VectorField, field_data, scalar_field, vector_field,
    };

    /// A collection `name` with an `Int64` primary key `id` and a float vector `vec` of
    /// dimension `dim`.
    pub fn id_and_vector_schema(name: &str, description: &str, dim: usize) -> CollectionSchema {
        CollectionSchema {
            name: name.into(),
            description: description.into(),
            fields: vec![
                FieldSchema {
                    name: "id".into(),
                    is_primary_key: true,
                    data_type: DataType::Int64.into(),
                    ..Default::default()
                },
                FieldSchema {
                    name: "vec".into(),
                    data_type: DataType::FloatVector.into(),
                    type_params: vec![kv("dim", &dim.to_string())],
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    /// A `CreateCollection` of `schema` (named as the schema), in one shard.
    pub fn create_collection(schema: &CollectionSchema) -> CreateCollectionRequest {
        CreateCollectionRequest {
            collection_name: schema.name.clone(),
            schema: schema.encode_to_vec(),
            shards_num: 1,
            ..Default::default()
        }
    }

    /// An `Insert` into a collection of [`id_and_vector_schema`]: the keys `ids` and their
    /// vectors of dimension `dim` (`vectors` holds the rows one after the other).
    pub fn insert(collection: &str, ids: Vec<i64>, dim: usize, vectors: Vec<f32>) -> InsertRequest {
        InsertRequest {
            collection_name: collection.into(),
            num_rows: ids.len() as u32,
            fields_data: vec![
                int64_field("id", ids),
                float_vector_field("vec", dim, vectors),
            ],
            ..Default::default()
        }
    }

    /// Fails with the call's name and the server's reason unless `status` says success
    /// (`code == 0` and the legacy `error_code == 0`).
    ///
    /// # Panics
    ///
    /// That is its job: when the reply has no status, or a status that is not success.
    #[allow(deprecated)] // error_code: Milvus 2.3 still fills it, and pymilvus still reads it
    pub fn ok(what: &str, status: Option<&Status>) {
        let s = status.unwrap_or_else(|| panic!("{what}: the reply has no status"));
        assert!(
            s.code == 0 && s.error_code == 0,
            "{what} failed: code {}, error_code {}, reason {:?}",
            s.code,
            s.error_code,
            s.reason
        );
    }

    /// `key=value`.
    pub fn kv(key: &str, value: &str) -> KeyValuePair {
        KeyValuePair {
            key: key.into(),
            value: value.into(),
        }
    }

    /// A `CreateIndex` of the `vec` field: `vec_flat`, FLAT with L2 (exact).
    pub fn flat_vec_index(collection: &str) -> crate::milvus::CreateIndexRequest {
        crate::milvus::CreateIndexRequest {
            collection_name: collection.into(),
            field_name: "vec".into(),
            index_name: "vec_flat".into(),
            extra_params: vec![
                kv("index_type", "FLAT"),
                kv("metric_type", "L2"),
                kv("params", "{}"),
            ],
            ..Default::default()
        }
    }

    /// An `Int64` column `name`.
    pub fn int64_field(name: &str, data: Vec<i64>) -> FieldData {
        FieldData {
            r#type: DataType::Int64.into(),
            field_name: name.into(),
            field: Some(field_data::Field::Scalars(ScalarField {
                data: Some(scalar_field::Data::LongData(LongArray { data })),
            })),
            ..Default::default()
        }
    }

    /// A `FloatVector` column `name` of dimension `dim` (`data` holds the rows one after
    /// the other).
    pub fn float_vector_field(name: &str, dim: usize, data: Vec<f32>) -> FieldData {
        FieldData {
            r#type: DataType::FloatVector.into(),
            field_name: name.into(),
            field: Some(field_data::Field::Vectors(VectorField {
                dim: dim as i64,
                data: Some(vector_field::Data::FloatVector(FloatArray { data })),
            })),
            ..Default::default()
        }
    }
}
