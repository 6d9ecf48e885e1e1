//! The portal in-process, against stub servers, one file per route.

#[macro_use]
mod support;

mod api_proxy;
mod behind_gateway;
mod logout;
mod pages;
mod sign_in;
