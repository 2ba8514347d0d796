#!/usr/bin/env python3
"""Unpacks an image tarball into a root filesystem, as a container runtime would, for scripts/test-images.sh.

    oci-unpack.py IMAGE.tar ROOTFS CONFIG_DIR

Reads an OCI image layout tarball (index.json, blobs/sha256/...) or a docker-save one (manifest.json), applies
its layers in the manifest's order onto ROOTFS (whiteouts remove what lower layers put there), checks every
layer's digest, and writes what the runtime needs to start it into CONFIG_DIR, NUL-separated:
entrypoint (Entrypoint then Cmd), env (KEY=VALUE), user, workdir; and config.json, the whole image config.
Prints one line: the tarball's size, the unpacked size, and the layer count.
"""
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile


def blob(tar, digest):
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm != "sha256":
        sys.exit(f"oci-unpack: unsupported digest {digest}")
    data = tar.extractfile(f"blobs/sha256/{hexdigest}").read()
    if hashlib.sha256(data).hexdigest() != hexdigest:
        sys.exit(f"oci-unpack: blob {digest} does not match its digest")
    return data


def manifest_and_config(tar):
    names = set(tar.getnames())
    if "index.json" in names:
        index = json.load(tar.extractfile("index.json"))
        manifests = index.get("manifests", [])
        if len(manifests) != 1:
            sys.exit(f"oci-unpack: expected one manifest in index.json, found {len(manifests)}")
        manifest = json.loads(blob(tar, manifests[0]["digest"]))
        config = json.loads(blob(tar, manifest["config"]["digest"]))
        return [lambda d=layer["digest"]: blob(tar, d) for layer in manifest["layers"]], config
    if "manifest.json" in names:
        manifest = json.load(tar.extractfile("manifest.json"))[0]
        config = json.load(tar.extractfile(manifest["Config"]))
        return [lambda n=name: tar.extractfile(n).read() for name in manifest["Layers"]], config
    sys.exit("oci-unpack: neither index.json nor manifest.json: not an image tarball")


def apply_layer(data, rootfs):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as layer:
        members = []
        for member in layer.getmembers():
            directory, base = os.path.split(member.name)
            if base == ".wh..wh..opq":
                target = os.path.join(rootfs, directory)
                if os.path.isdir(target):
                    for entry in os.listdir(target):
                        remove(os.path.join(target, entry))
            elif base.startswith(".wh."):
                remove(os.path.join(rootfs, directory, base[len(".wh."):]))
            else:
                members.append(member)
        if hasattr(tarfile, "tar_filter"):
            layer.extractall(rootfs, members=members, filter=keep_mode)
        else:  # a Python without extraction filters (before 3.11.4): at least no absolute or upward names
            for member in members:
                if member.name.startswith("/") or ".." in member.name.split("/"):
                    sys.exit(f"oci-unpack: refusing layer member {member.name}")
            layer.extractall(rootfs, members=members)


def keep_mode(member, path):
    """tarfile's "tar" filter (no absolute paths, no escaping links), but with the layer's modes as they are:
    a runtime keeps a world-writable /tmp world-writable."""
    filtered = tarfile.tar_filter(member, path)
    return None if filtered is None else filtered.replace(mode=member.mode, deep=False)


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def disk_usage(rootfs):
    total = 0
    for directory, _, files in os.walk(rootfs):
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                total += os.lstat(path).st_size
    return total


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: oci-unpack.py IMAGE.tar ROOTFS CONFIG_DIR")
    image, rootfs, config_dir = sys.argv[1:]
    os.makedirs(rootfs, exist_ok=True)
    os.makedirs(config_dir, exist_ok=True)
    with tarfile.open(image) as tar:
        layers, config = manifest_and_config(tar)
        for layer in layers:
            apply_layer(layer(), rootfs)
    runtime = config.get("config", {})
    fields = {
        "entrypoint": (runtime.get("Entrypoint") or []) + (runtime.get("Cmd") or []),
        "env": runtime.get("Env") or [],
        "user": [runtime.get("User") or "0"],
        "workdir": [runtime.get("WorkingDir") or "/"],
    }
    for name, values in fields.items():
        with open(os.path.join(config_dir, name), "w", encoding="utf-8") as out:
            out.write("".join(value + "\0" for value in values))
    with open(os.path.join(config_dir, "config.json"), "w", encoding="utf-8") as out:
        json.dump(config, out, indent=2)
    print(f"tarball_bytes={os.path.getsize(image)} unpacked_bytes={disk_usage(rootfs)} layers={len(layers)}")


if __name__ == "__main__":
    main()
