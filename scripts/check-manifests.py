#!/usr/bin/env python3
"""Checks one overlay of deploy/ as `kubectl kustomize` rendered it (scripts/test-images.sh deploy):

    check-manifests.py OVERLAY RENDERED.yaml

OVERLAY's name says the gateway's CPU: pinned-<N>cpu (an integer, for the static CPU manager) or
fractional-<M>m (millicores under a CFS quota). Checked: the gateway pod is in the Guaranteed QoS class (every
container's CPU and memory requests equal its limits) with that CPU; WORKER_THREADS follows limits.cpu; startup,
readiness and liveness probes on /health for both servers; Prometheus scrape annotations on the gateway; the
loadgen Job kept off the gateway's node by a required podAntiAffinity and running PROTOCOL.md §4's timing
contract; env names exactly PROTOCOL.md §5's plus the gateway's own (gateway-nio/README.md, Configuration) and
the JVM's JDK_JAVA_OPTIONS; the JVMs' heaps: a container's JDK_JAVA_OPTIONS replaces its image's (MODULE/pom.xml,
Jib's environment), so it must keep the image's other flags; the gateway's heap flags (-Xms, -Xmx, -Xmn) equal
its image's, inference-sim's equal POD_SIM_JAVA_OPTS of scripts/lib.sh (a fixed heap range: the ergonomic heap
under a 1 GiB limit starts at 16 MiB), and each -Xmx within MAX_HEAP_SHARE of the container's memory limit;
images tagged with the Maven project's version; non-root pods; services that select their pods.
Prints the failures, one a line, and exits 1; or prints one summary line and exits 0.
"""
import os
import re
import sys
import xml.etree.ElementTree as ElementTree

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTOCOL = os.path.join(REPO, "..", "shared", "PROTOCOL.md")
NAMESPACE = "sttbench"
# PROTOCOL.md §4: the loadgen's timing contract and timeouts.
TIMING = {
    "--ramp-up-secs": "30", "--session-start-spread-ms": "1000", "--warmup-secs": "10", "--measure-secs": "45",
    "--connect-timeout-ms": "5000", "--send-timeout-ms": "5000", "--close-grace-ms": "5000",
    "--session-grace-secs": "15",
}
SECTION4_CONFIG = {"CPU_PASSES": "4", "MODEL_DELAY_MS": "75", "FLUSH_INTERVAL_MS": "1000",
                   "FLUSH_PHASE_JITTER_MS": "1000"}

# A heap may take this share of its container's memory limit at most: metaspace, code cache, thread stacks, direct
# buffers and malloc need the rest.
MAX_HEAP_SHARE = 0.75
HEAP_FLAG = re.compile(r"(-Xm[sxn])(\d+)([kmgt]?)", re.IGNORECASE)
JAVA_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
QUANTITY_UNITS = {"": 1, "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12,
                  "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}
POM = "{http://maven.apache.org/POM/4.0.0}"

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def protocol_env():
    """PROTOCOL.md §5's gateway and simulator variable names."""
    with open(PROTOCOL, encoding="utf-8") as f:
        text = f.read()
    section = text.split("## 5.", 1)[1].split("\n## ", 1)[0]
    gateway_part, simulator_part = section.split("Simulator:", 1)
    names = lambda part: set(re.findall(r"`([A-Z][A-Z0-9_]+)`", part))
    return names(gateway_part.split("Gateway:", 1)[1]), names(simulator_part)


def gateway_own_env():
    """The variables of gateway-nio/README.md's Configuration table."""
    with open(os.path.join(REPO, "gateway-nio", "README.md"), encoding="utf-8") as f:
        text = f.read()
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, re.MULTILINE))


def project_version():
    root = ElementTree.parse(os.path.join(REPO, "pom.xml")).getroot()
    return root.find(POM + "version").text


def image_java_options(module):
    """The JDK_JAVA_OPTIONS of MODULE's image: its pom's jib-maven-plugin container environment."""
    root = ElementTree.parse(os.path.join(REPO, module, "pom.xml")).getroot()
    for plugin in root.iter(POM + "plugin"):
        if plugin.findtext(POM + "artifactId") == "jib-maven-plugin":
            value = plugin.findtext(f"{POM}configuration/{POM}container/{POM}environment/{POM}JDK_JAVA_OPTIONS")
            if value:
                return value.split()
    sys.exit(f"check-manifests: {module}/pom.xml sets no JDK_JAVA_OPTIONS for its image")


def pod_sim_java_options():
    """The default POD_SIM_JAVA_OPTS of scripts/lib.sh: the simulator's heap in POD=1 runs."""
    with open(os.path.join(REPO, "scripts", "lib.sh"), encoding="utf-8") as f:
        found = re.search(r"POD_SIM_JAVA_OPTS=\$\{POD_SIM_JAVA_OPTS-([^}]*)\}", f.read())
    if not found:
        sys.exit("check-manifests: scripts/lib.sh has no POD_SIM_JAVA_OPTS default")
    return found.group(1).split()


def heap_flags(options):
    """{'-Xmx': bytes, ...} of a JVM's options; the last of a flag wins, as in the JVM."""
    heap = {}
    for option in options:
        flag = HEAP_FLAG.fullmatch(option)
        if flag:
            heap[flag.group(1)] = int(flag.group(2)) * JAVA_UNITS[flag.group(3).lower()]
    return heap


def quantity_bytes(quantity):
    """Bytes of a Kubernetes memory quantity (512Mi, 1Gi, 1G, 1073741824); None when it is not one of those."""
    found = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?", str(quantity))
    return int(found.group(1)) * QUANTITY_UNITS[found.group(2) or ""] if found else None


def check_jvm(name, container, module):
    """The JVM options container runs with (its JDK_JAVA_OPTIONS, else its image's): the image's flags other than
    the heap's kept, an -Xmx within MAX_HEAP_SHARE of the memory limit, -Xms at most -Xmx. Returns the heap flags."""
    image_options = image_java_options(module)
    set_value = (env_of(container).get("JDK_JAVA_OPTIONS") or {}).get("value")
    options = image_options if set_value is None else set_value.split()
    dropped = [o for o in image_options if not HEAP_FLAG.fullmatch(o) and o not in options]
    check(not dropped, f"{name}: JDK_JAVA_OPTIONS replaces the image's and drops its {dropped}")
    heap = heap_flags(options)
    limit = quantity_bytes(((container.get("resources") or {}).get("limits") or {}).get("memory"))
    if check("-Xmx" in heap, f"{name}: no -Xmx in {options}: the JVM would size its heap from the memory limit"):
        check(limit is not None and heap["-Xmx"] <= MAX_HEAP_SHARE * limit,
              f"{name}: -Xmx {heap['-Xmx'] >> 20} MiB is not within {MAX_HEAP_SHARE:.0%} of its memory limit "
              f"{container.get('resources', {}).get('limits', {}).get('memory', '(none)')}")
        check(heap.get("-Xms", 0) <= heap["-Xmx"], f"{name}: -Xms above -Xmx")
    return heap


def heap_text(heap):
    return " ".join(f"{flag}{size >> 20}m" for flag, size in sorted(heap.items())) or "(ergonomic)"


def expected_cpu(overlay):
    pinned = re.fullmatch(r"pinned-(\d+)cpu", overlay)
    if pinned:
        return pinned.group(1), True
    fractional = re.fullmatch(r"fractional-(\d+)m", overlay)
    if fractional:
        return fractional.group(1) + "m", False
    sys.exit(f"check-manifests: overlay '{overlay}' is neither pinned-<N>cpu nor fractional-<M>m: "
             "name it so, or teach this script what it should hold")


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def containers(spec):
    return spec.get("initContainers", []) + spec.get("containers", [])


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


def check_probes(name, container):
    port_names = {p.get("name") for p in container.get("ports", [])} | {p["containerPort"] for p in
                                                                       container.get("ports", [])}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = (container.get(probe) or {}).get("httpGet") or {}
        check(get.get("path") == "/health" and get.get("port") in port_names,
              f"{name}: {probe} is not an httpGet of /health on one of its ports")


def check_pod_security(name, spec):
    check((spec.get("securityContext") or {}).get("runAsNonRoot") is True, f"{name}: pod lacks runAsNonRoot: true")
    for c in containers(spec):
        security = c.get("securityContext") or {}
        check(security.get("allowPrivilegeEscalation") is False, f"{name}/{c['name']}: allowPrivilegeEscalation")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check-manifests.py OVERLAY RENDERED.yaml")
    overlay, rendered = sys.argv[1:]
    cpu, pinned = expected_cpu(overlay)
    with open(rendered, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    objects = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    for kind, name in (("Namespace", NAMESPACE), ("Deployment", "inference-sim"), ("Service", "inference-sim"),
                       ("Deployment", "gateway"), ("Service", "gateway"), ("Job", "loadgen")):
        if not check((kind, name) in objects, f"no {kind} {name}"):
            print("\n".join(failures))
            sys.exit(1)
    for (kind, name), obj in objects.items():
        if kind != "Namespace":
            check(obj["metadata"].get("namespace") == NAMESPACE, f"{kind} {name} is not in namespace {NAMESPACE}")

    gateway_env_allowed, sim_env_allowed = protocol_env()
    gateway_section5 = set(gateway_env_allowed)
    gateway_env_allowed |= gateway_own_env() | {"JDK_JAVA_OPTIONS"}
    sim_env_allowed |= {"BIND_ADDRESS", "JDK_JAVA_OPTIONS"}
    version = project_version()

    # The gateway: Guaranteed QoS at the overlay's CPU.
    gateway = objects[("Deployment", "gateway")]
    spec = pod_spec(gateway)
    for c in containers(spec):
        resources = c.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        for resource in ("cpu", "memory"):
            check(resource in limits and str(requests.get(resource)) == str(limits.get(resource)),
                  f"gateway/{c['name']}: {resource} request {requests.get(resource)} != limit {limits.get(resource)}"
                  " (not Guaranteed QoS)")
    main_container = next((c for c in spec["containers"] if c["name"] == "gateway"), None)
    if not check(main_container is not None, "gateway: no container named gateway"):
        print("\n".join(failures))
        sys.exit(1)
    limit_cpu = str(main_container["resources"]["limits"].get("cpu"))
    check(limit_cpu == cpu, f"gateway CPU limit is {limit_cpu}, overlay {overlay} wants {cpu}")
    if pinned:
        check(re.fullmatch(r"[1-9][0-9]*", limit_cpu) is not None,
              f"gateway CPU {limit_cpu} is not a whole number: the static CPU manager would not pin it")
    else:
        check(limit_cpu.endswith("m") and int(limit_cpu[:-1]) % 1000 != 0,
              f"gateway CPU {limit_cpu} is not fractional")
    env = env_of(main_container)
    names = set(env)
    check(names <= gateway_env_allowed, f"gateway env names outside PROTOCOL.md §5 and the gateway's own: "
                                        f"{sorted(names - gateway_env_allowed)}")
    check(gateway_section5 <= names, f"gateway env lacks PROTOCOL.md §5 names {sorted(gateway_section5 - names)}")
    for key, value in SECTION4_CONFIG.items():
        check((env.get(key) or {}).get("value") == value, f"gateway {key} is not §4's {value}")
    field = ((env.get("WORKER_THREADS") or {}).get("valueFrom") or {}).get("resourceFieldRef") or {}
    check(field.get("resource") == "limits.cpu" and str(field.get("divisor")) == "1"
          and field.get("containerName", "gateway") == "gateway",
          f"gateway WORKER_THREADS does not follow limits.cpu with divisor 1: {env.get('WORKER_THREADS')}")
    check((env.get("BIND_ADDRESS") or {}).get("value") == "0.0.0.0", "gateway BIND_ADDRESS is not 0.0.0.0")
    check_probes("gateway", main_container)
    check_pod_security("gateway", spec)
    annotations = gateway["spec"]["template"]["metadata"].get("annotations") or {}
    ports = {str(p["containerPort"]) for p in main_container.get("ports", [])}
    check(annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/port") in ports
          and annotations.get("prometheus.io/path") == "/metrics",
          f"gateway pod lacks Prometheus scrape annotations on its port: {annotations}")
    check(main_container["image"] == f"sttbench/gateway-nio:{version}",
          f"gateway image {main_container['image']} is not the one make images tags (sttbench/gateway-nio:{version})")
    gateway_heap = check_jvm("gateway", main_container, "gateway-nio")
    image_heap = heap_flags(image_java_options("gateway-nio"))
    check(gateway_heap == image_heap, f"gateway heap {heap_text(gateway_heap)} is not its image's "
                                      f"{heap_text(image_heap)} (gateway-nio/pom.xml, scripts/lib.sh GATEWAY_JVM_OPTS)")

    # inference-sim
    sim = objects[("Deployment", "inference-sim")]
    sim_container = pod_spec(sim)["containers"][0]
    sim_names = set(env_of(sim_container))
    check(sim_names <= sim_env_allowed, f"inference-sim env names outside PROTOCOL.md §5: "
                                        f"{sorted(sim_names - sim_env_allowed)}")
    check_probes("inference-sim", sim_container)
    check_pod_security("inference-sim", pod_spec(sim))
    check(sim_container["image"] == f"sttbench/inference-sim:{version}",
          f"inference-sim image {sim_container['image']} is not sttbench/inference-sim:{version}")
    sim_heap = check_jvm("inference-sim", sim_container, "inference-sim")
    pod_heap = heap_flags(pod_sim_java_options())
    check(sim_heap == pod_heap, f"inference-sim heap {heap_text(sim_heap)} is not scripts/lib.sh POD_SIM_JAVA_OPTS "
                                f"{heap_text(pod_heap)}")
    sim_service = objects[("Service", "inference-sim")]
    sim_port = sim_service["spec"]["ports"][0]["port"]
    check(env["INFERENCE_URL"].get("value") == f"http://inference-sim:{sim_port}",
          f"gateway INFERENCE_URL {env['INFERENCE_URL'].get('value')} is not the inference-sim Service")

    # Services select their pods.
    for name in ("inference-sim", "gateway"):
        selector = objects[("Service", name)]["spec"]["selector"]
        labels = objects[("Deployment", name)]["spec"]["template"]["metadata"]["labels"]
        check(selector.items() <= labels.items(), f"Service {name} does not select its pods")

    # The loadgen Job: off the gateway's node, §4 timing.
    job = objects[("Job", "loadgen")]
    job_spec = pod_spec(job)
    terms = (((job_spec.get("affinity") or {}).get("podAntiAffinity") or {})
             .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
    gateway_labels = gateway["spec"]["template"]["metadata"]["labels"]
    check(any(t.get("topologyKey") == "kubernetes.io/hostname"
              and (t.get("labelSelector") or {}).get("matchLabels", {}).items() <= gateway_labels.items()
              and (t.get("labelSelector") or {}).get("matchLabels")
              for t in terms),
          "loadgen Job has no required podAntiAffinity to the gateway's pods by kubernetes.io/hostname")
    check(job_spec.get("restartPolicy") == "Never" and job["spec"].get("backoffLimit") == 0,
          "loadgen Job must run once: restartPolicy Never, backoffLimit 0")
    check_pod_security("loadgen", job_spec)
    loadgen = job_spec["containers"][0]
    job_env = {k: v.get("value") for k, v in env_of(loadgen).items()}
    args = [re.sub(r"\$\(([A-Z_]+)\)", lambda m: job_env.get(m.group(1), m.group(0)), a) for a in loadgen["args"]]
    check(args[:1] == ["run"] and "--slo" in args, f"loadgen Job does not `run --slo`: {args}")
    for flag, value in TIMING.items():
        check(flag in args and args.index(flag) + 1 < len(args) and args[args.index(flag) + 1] == value,
              f"loadgen Job {flag} is not §4's {value}")
    gateway_port = objects[("Service", "gateway")]["spec"]["ports"][0]["port"]
    check("--url" in args and args[args.index("--url") + 1] == f"ws://gateway:{gateway_port}/ws/stt",
          "loadgen Job --url is not the gateway Service")
    check(loadgen["image"] == f"sttbench/loadgen:{version}",
          f"loadgen image {loadgen['image']} is not sttbench/loadgen:{version}")

    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"gateway {cpu} CPU {'(whole cores) ' if pinned else '(CFS quota) '}Guaranteed, "
          f"WORKER_THREADS from limits.cpu, probes on /health, loadgen off the gateway's node with §4 timing, "
          f"env {len(names)} gateway + {len(sim_names)} sim names (§5's, the gateway's own, JDK_JAVA_OPTIONS), heaps: gateway "
          f"{heap_text(gateway_heap)} (its image's), inference-sim {heap_text(sim_heap)} (POD_SIM_JAVA_OPTS), "
          f"-Xmx within {MAX_HEAP_SHARE:.0%} of the memory limits")


if __name__ == "__main__":
    main()
