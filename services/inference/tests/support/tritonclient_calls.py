"""Calls the inference service's Open Inference Protocol (KServe v2) with the real tritonclient package (PyPI
`tritonclient[http,grpc]`, installed by .ci/run), over HTTP and gRPC, as a user of a standard server would.

    python3 tritonclient_calls.py HTTP_HOST:PORT GRPC_HOST:PORT MODEL PRODUCTS.json

PRODUCTS.json: [[designation, description], ...]. Prints one JSON document with what each call returned; the
Rust test (tests/v2.rs) compares it with the service's own API. A call that raises is reported with its
message, never hidden.
"""

import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

OUTPUTS = ["predicted_class", "confidence", "top_k_classes", "top_k_probabilities", "prediction_id"]


def tensors(module, products, binary):
    """The two BYTES inputs, shape [N, 1] as Triton's examples send text."""
    inputs = []
    for i, name in enumerate(["designation", "description"]):
        data = np.array([[p[i].encode("utf-8")] for p in products], dtype=np.object_)
        t = module.InferInput(name, list(data.shape), "BYTES")
        if module is httpclient:
            t.set_data_from_numpy(data, binary_data=binary)
        else:
            t.set_data_from_numpy(data)
        inputs.append(t)
    return inputs


def answer(result):
    out = {}
    for name in OUTPUTS:
        a = result.as_numpy(name)
        if a is None:
            continue
        if a.dtype == np.object_:
            out[name] = [x.decode() if isinstance(x, bytes) else x for x in a.reshape(-1).tolist()]
        else:
            out[name] = a.tolist()
    response = result.get_response()
    version = response["model_version"] if isinstance(response, dict) else response.model_version
    out["model_version"] = version
    return out


def error_of(call):
    try:
        call()
    except InferenceServerException as e:
        return {"status": str(e.status()), "message": e.message()}
    return None


def session(module, url, model, products):
    client = module.InferenceServerClient(url=url)
    http = module is httpclient
    report = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready(model),
        "other_model_ready": error_of(lambda: client.is_model_ready("no-such-model"))
        if not http
        else client.is_model_ready("no-such-model"),
    }
    meta = client.get_model_metadata(model)
    if http:
        report["metadata"] = meta
    else:
        report["metadata"] = {
            "name": meta.name,
            "versions": list(meta.versions),
            "platform": meta.platform,
            "inputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in meta.inputs],
            "outputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in meta.outputs],
        }
    # The client's defaults: HTTP sends binary tensors and asks binary outputs back; gRPC sends raw contents.
    report["infer_default"] = answer(client.infer(model, tensors(module, products, True)))
    # Named outputs, JSON tensors over HTTP, a top_k parameter, a request id.
    wanted = [module.InferRequestedOutput(n, binary_data=False) if http else module.InferRequestedOutput(n)
              for n in ["top_k_classes", "predicted_class"]]
    result = client.infer(model, tensors(module, products, False), outputs=wanted, request_id="req-7",
                          parameters={"top_k": 3})
    report["infer_named"] = answer(result)
    response = result.get_response()
    report["infer_named"]["id"] = response["id"] if http else response.id
    report["infer_named"]["order"] = [o["name"] for o in response["outputs"]] if http else [
        o.name for o in response.outputs]
    # Mistakes: another model, an input named wrong, a version not served.
    report["errors"] = {
        "unknown_model": error_of(lambda: client.infer("no-such-model", tensors(module, products[:1], True))),
        "wrong_input": error_of(lambda: client.infer(model, [tensors(module, products[:1], True)[1]])),
        "wrong_version": error_of(lambda: client.infer(model, tensors(module, products[:1], True),
                                                       model_version="999999")),
    }
    return report


def main():
    http_url, grpc_url, model, path = sys.argv[1:5]
    with open(path, encoding="utf-8") as f:
        products = json.load(f)
    print(json.dumps({
        "http": session(httpclient, http_url, model, products),
        "grpc": session(grpcclient, grpc_url, model, products),
    }))


if __name__ == "__main__":
    main()
