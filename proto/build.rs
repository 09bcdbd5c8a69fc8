//! Compiles `rakuten/inference/v1/inference.proto` and the Open Inference Protocol's
//! `inference/grpc_predict_v2.proto` with protox (pure Rust, no system protoc) and generates the
//! tonic client and server plus the file descriptor set that server reflection serves.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "rakuten/inference/v1/inference.proto",
        "inference/grpc_predict_v2.proto",
    ];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(protos, ["."])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    // Written here: tonic-prost-build writes the descriptor set only when it runs protoc itself.
    std::fs::write(out.join("inference_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .codec_path("crate::Codec")
        .compile_fds(fds)?;
    Ok(())
}
