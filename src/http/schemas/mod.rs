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

/// Whether a `create` word takes `null` (only `optional` does: `required`
/// and `default` hand it to the rule, which refuses it).
macro_rules! create_nullable {
    (required) => {
        false
    };
    (optional) => {
        true
    };
    (default) => {
        false
    };
}
pub(crate) use create_nullable;

/// Whether a `patch` word takes `null`.
macro_rules! patch_nullable {
    (not_null) => {
        false
    };
    (clearable) => {
        true
    };
    (null_is_default) => {
        true
    };
}
pub(crate) use patch_nullable;

/// The document's expansion of a field table (`domain::field_table`):
/// `create_properties()` and `patch_properties()`, the properties of the
/// create and patch bodies (each field's type, limits and short description
/// from its rule, nullable and required by its `create` and `patch` words:
/// a patch requires nothing and describes nothing); `cleared()`, the fields
/// `null` clears on patch; and, when the header names an answer,
/// `answer_properties()`: the id and the fields with their docs and the
/// rules' limits. The resource's schema file wraps them in `body(…)` with
/// its own descriptions.
macro_rules! field_bodies {
    (
        [$fields:ident, $patch:ident, $(answer $answer:ident,)? rules $rules:ty, wording $wording:ty]
        $(
            $(#[doc = $doc:literal])*
            $name:ident : $ty:ty = $rule:ident, create $create:ident, patch $patch_word:ident,
            column $kind:ident $($sql_type:literal)?
            $(, resolves $(#[doc = $rdoc:literal])* $extra:ident : $extra_ty:ty)?;
        )*
    ) => {
        /// The create body's properties: (name, schema, required).
        fn create_properties() -> Vec<(&'static str, utoipa::openapi::RefOr<utoipa::openapi::Schema>, bool)> {
            vec![$(
                (
                    stringify!($name),
                    $crate::http::schemas::rules::property(
                        $crate::http::schemas::rules::RuleSchema::schema(&<$rules>::$rule, true),
                        $crate::http::schemas::create_nullable!($create),
                    ),
                    stringify!($create) == "required",
                ),
            )*]
        }

        /// The patch body's properties: (name, schema, required).
        fn patch_properties() -> Vec<(&'static str, utoipa::openapi::RefOr<utoipa::openapi::Schema>, bool)> {
            vec![$(
                (
                    stringify!($name),
                    $crate::http::schemas::rules::property(
                        $crate::http::schemas::rules::RuleSchema::schema(&<$rules>::$rule, false),
                        $crate::http::schemas::patch_nullable!($patch_word),
                    ),
                    false,
                ),
            )*]
        }

        /// The fields `null` clears on patch, in the table's order.
        #[allow(dead_code)]
        fn cleared() -> Vec<&'static str> {
            [$( (stringify!($name), $crate::http::schemas::patch_nullable!($patch_word)), )*]
                .into_iter()
                .filter(|(_, nullable)| *nullable)
                .map(|(name, _)| name)
                .collect()
        }

        $crate::http::schemas::answer_properties! {
            [$($answer)?] $rules;
            $( [$($doc),*] $name = $rule, create $create; )*
        }
    };
}
pub(crate) use field_bodies;

/// The answer's properties of [`field_bodies!`]; nothing without an answer.
macro_rules! answer_properties {
    ([] $($rows:tt)*) => {};
    ([$answer:ident] $rules:ty; $( [$($doc:literal),*] $name:ident = $rule:ident, create $create:ident; )*) => {
        /// The answer's properties: the id, then each field (its doc, and
        /// its rule's type and limits), required unless it may be `null`.
        fn answer_properties() -> Vec<(&'static str, utoipa::openapi::RefOr<utoipa::openapi::Schema>, bool)> {
            vec![
                (
                    "id",
                    $crate::http::schemas::rules::described(
                        $crate::http::schemas::rules::uuid_schema(),
                        &["Generated by the daemon (UUID v4), never by the database."],
                    ),
                    true,
                ),
                $(
                    (
                        stringify!($name),
                        $crate::http::schemas::rules::property(
                            $crate::http::schemas::rules::described(
                                $crate::http::schemas::rules::RuleSchema::schema(&<$rules>::$rule, false),
                                &[$($doc),*],
                            ),
                            $crate::http::schemas::create_nullable!($create),
                        ),
                        !$crate::http::schemas::create_nullable!($create),
                    ),
                )*
            ]
        }
    };
}
pub(crate) use answer_properties;

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
