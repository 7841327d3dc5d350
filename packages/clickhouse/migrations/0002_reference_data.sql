-- Reference data, newest version per Kafka key. `version` is the message's offset: a key always
-- lands on one partition, so a later message has a greater offset, and a replay writes the same
-- version again. A tombstone (null value) is a row with is_deleted = 1; read these with FINAL.

CREATE TABLE IF NOT EXISTS ref_organisations
(
    key                             String,
    id                              UUID,
    name                            String,
    purchase_order_number           Nullable(String),
    billing_contact_names           Nullable(String),
    billing_contact_email_addresses Nullable(String),
    billing_reference               Nullable(String),
    version                         UInt64,
    is_deleted                      UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY key;

CREATE TABLE IF NOT EXISTS ref_services
(
    key                             String,
    id                              UUID,
    name                            String,
    organisation_id                 Nullable(UUID),
    restricted                      Bool,
    active                          Bool,
    count_as_live                   Bool,
    purchase_order_number           Nullable(String),
    billing_contact_names           Nullable(String),
    billing_contact_email_addresses Nullable(String),
    billing_reference               Nullable(String),
    version                         UInt64,
    is_deleted                      UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY key;

CREATE TABLE IF NOT EXISTS ref_annual_billing
(
    key                     String,
    service_id              UUID,
    financial_year_start    UInt16,
    free_sms_fragment_limit UInt64,
    version                 UInt64,
    is_deleted              UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY key;

CREATE TABLE IF NOT EXISTS ref_sms_rates
(
    key        String,
    valid_from DateTime64(6, 'UTC'),
    rate       Decimal(38, 10),
    version    UInt64,
    is_deleted UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY key;

CREATE TABLE IF NOT EXISTS ref_letter_rates
(
    key         String,
    start_date  DateTime64(6, 'UTC'),
    end_date    Nullable(DateTime64(6, 'UTC')),
    sheet_count UInt32,
    post_class  LowCardinality(String),
    rate        Decimal(38, 10),
    version     UInt64,
    is_deleted  UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY key;

CREATE TABLE IF NOT EXISTS ref_api_keys
(
    key        String,
    id         UUID,
    service_id UUID,
    secret     String,
    revoked    Bool,
    version    UInt64,
    is_deleted UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY key;
