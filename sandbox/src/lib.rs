//! The sandbox trading ecosystem (DESIGN.md §6): exchange, custodian, market data,
//! trading engine, risk monitor and audit correlator as real HTTP services.
//!
//! Empty for now: the sandbox issue fills it. The crate exists so that the
//! workspace layout, the build and the Docker image already have its place.
