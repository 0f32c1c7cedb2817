//! The OpenAPI schemas of the wire types: the request bodies the document
//! describes, and the schema of every domain type an answer carries.
//!
//! The domain stays free of `utoipa` (docs/architecture.md): a domain type
//! the document names (`Status`, `ConnectionTarget`, …) gets its schema
//! from a *twin* declared here, a schema-only type with the same serde
//! shape and the same doc comments, and `schema_twin!` implements
//! `utoipa::ToSchema` for the domain type by delegating to it. The tests of
//! each file check that a twin names exactly the keys (or labels) the
//! domain type serialises, so the two cannot drift apart silently.
//!
//! Request bodies are parsed by hand in `domain` (for the exact messages and
//! the absent / `null` distinction); their `…Body` schemas here carry the
//! validators' limits.

pub mod daily_updates;
pub mod members;
pub(crate) mod rules;
pub mod settings;
pub mod sub_tasks;
pub mod tasks;

/// `impl utoipa::ToSchema for $domain`, as its schema-only twin `$twin`
/// (named like the domain type with `#[schema(as = …)]`) describes it.
macro_rules! schema_twin {
    ($domain:ty => $twin:ty) => {
        impl utoipa::PartialSchema for $domain {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                <$twin as utoipa::PartialSchema>::schema()
            }
        }

        impl utoipa::ToSchema for $domain {
            fn name() -> std::borrow::Cow<'static, str> {
                <$twin as utoipa::ToSchema>::name()
            }

            fn schemas(
                schemas: &mut Vec<(
                    String,
                    utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
                )>,
            ) {
                <$twin as utoipa::ToSchema>::schemas(schemas)
            }
        }
    };
}
pub(crate) use schema_twin;

/// The schema of a read model (see `domain::read_model`), from its table: a
/// twin with the same fields and docs, `format: date-time` on the fields
/// declared `as DateTime`. The twin is the domain type by construction, so
/// it needs no drift test of its own.
macro_rules! read_model_schema {
    (
        $(#[doc = $sdoc:literal])*
        $model:ident {
            $( $(#[doc = $doc:literal])* $name:ident : $ty:ty $(as $format:ident)?; )*
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        #[schema(as = $model)]
        #[allow(dead_code)]
        struct ReadModelTwin {
            $( $(#[doc = $doc])* $(#[schema(format = $format)])? $name: $ty, )*
        }
        $crate::http::schemas::schema_twin!($model => ReadModelTwin);
    };
}
pub(crate) use read_model_schema;

/// `impl utoipa::ToSchema for $body` (named `$name` in the document when
/// given), whose schema `$build` (an `ObjectBuilder` or the like) builds
/// from the rules or limits of its fields: a schema-only request body, or a
/// type declared elsewhere (the members' entity).
macro_rules! built_schema {
    ($body:ident => $build:expr) => {
        impl utoipa::PartialSchema for $body {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                ($build).into()
            }
        }

        impl utoipa::ToSchema for $body {}
    };
    ($body:ident as $name:literal => $build:expr) => {
        impl utoipa::PartialSchema for $body {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                ($build).into()
            }
        }

        impl utoipa::ToSchema for $body {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
    };
}
pub(crate) use built_schema;

/// What the twins' tests compare: the property names of an object schema,
/// or the values of a string enum, sorted.
#[cfg(test)]
pub(crate) fn schema_keys<T: utoipa::PartialSchema>() -> Vec<String> {
    let json = serde_json::to_value(T::schema()).unwrap_or_default();
    let mut keys: Vec<String> = match json.get("properties").and_then(|p| p.as_object()) {
        Some(props) => props.keys().cloned().collect(),
        None => json["enum"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    };
    keys.sort();
    keys
}

/// The keys of a value's JSON object (or its string, for an enum), sorted.
#[cfg(test)]
pub(crate) fn json_keys(values: &[serde_json::Value]) -> Vec<String> {
    let mut keys: Vec<String> = values
        .iter()
        .flat_map(|v| match v {
            serde_json::Value::Object(m) => m.keys().cloned().collect::<Vec<_>>(),
            serde_json::Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}
