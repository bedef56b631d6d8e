#!/usr/bin/env python3
"""libtorch's side of the network benchmarks, through PyTorch on one thread.

The same training steps as NetworkBenchmarks.cs and EpochBenchmarks.cs time for Optim: zero-grad, forward, loss,
backward and Adam, at the same shapes, batch sizes and learning rates. Run it right before or after the
BenchmarkDotNet job it is compared with (docs/benchmarks.md): only figures measured side by side mean anything on a
shared host. A peer for comparison only: nothing in the library or the tests uses it.

    python3 benchmarks/Optim.Benchmarks/Peers/libtorch_steps.py [seed] [epochs] [saved]

'seed' times the seed's MLP (10 -> 5 -> 1, MSE, batch 32) on one fixed random batch, as SeedTrainingStepBenchmarks
does: the median and the minimum of 15 rounds, each round enough back-to-back steps to last about 0.2 s. 'epochs'
trains two Fashion-MNIST epochs of the MLP and of the CNN as the sample and FashionEpochBenchmarks do (60,000
normalised images in a fresh shuffle, batch 64, 938 steps; Debian's dataset-fashion-mnist). The Fashion networks are
timed on real data only: trained over and over on one batch they memorise it, their gradients underflow to
subnormal numbers and the step slows down several times. 'saved' counts the bytes of the tensors autograd keeps for
the backward pass of each network at its batch (each storage once; parameters and the input batch not counted, as
Optim keeps neither in its network arena), the figure docs/networks.md sets beside Optim's arena.
"""

import gzip
import statistics
import sys
import time

import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(1)


def seed_mlp():
    return nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 1)), nn.MSELoss(), 1e-3, (32, 10)


def fashion_mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), nn.CrossEntropyLoss(), 2e-3, (64, 784)


def fashion_cnn():
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 10))
    return model, nn.CrossEntropyLoss(), 3e-3, (64, 1, 28, 28)


def time_seed_steps():
    model, criterion, lr, shape = seed_mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    x = torch.rand(shape) * 2 - 1
    y = torch.rand(shape[0], 1)

    def step():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(200):
        step()
    count = 1
    while True:
        start = time.perf_counter()
        for _ in range(count):
            step()
        if time.perf_counter() - start > 0.2:
            break
        count *= 2
    rounds = []
    for _ in range(15):
        start = time.perf_counter()
        for _ in range(count):
            step()
        rounds.append((time.perf_counter() - start) / count)
    print(f"seed: median {statistics.median(rounds) * 1e6:.1f} us, min {min(rounds) * 1e6:.1f} us per step "
          f"({count} steps a round, torch {torch.__version__}, {torch.get_num_threads()} thread)")


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if int.from_bytes(data[0:4], "big") != magic:
        raise ValueError(f"{path}: magic {int.from_bytes(data[0:4], 'big'):#x}, expected {magic:#x}")
    return data


def epochs(folder="/usr/share/datasets/fashion-mnist"):
    images = read_idx(f"{folder}/train-images-idx3-ubyte.gz", 0x803)
    labels = read_idx(f"{folder}/train-labels-idx1-ubyte.gz", 0x801)
    x = torch.frombuffer(bytearray(images[16:]), dtype=torch.uint8).float().div(255).view(-1, 1, 28, 28)
    y = torch.frombuffer(bytearray(labels[8:]), dtype=torch.uint8).long()
    x = (x - x.mean()) / x.std()
    for name, network in (("fashion-mlp", fashion_mlp), ("fashion-cnn", fashion_cnn)):
        model, criterion, lr, shape = network()
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        inputs = x if len(shape) == 4 else x.view(-1, 784)
        for epoch in range(2):
            start = time.perf_counter()
            order = torch.randperm(inputs.shape[0])
            total = 0.0
            for first in range(0, inputs.shape[0], 64):
                batch = order[first:first + 64]
                optimizer.zero_grad()
                loss = criterion(model(inputs[batch]), y[batch])
                loss.backward()
                optimizer.step()
                total += loss.item()
            seconds = time.perf_counter() - start
            print(f"{name} epoch {epoch + 1}: {seconds:.3f} s, {seconds / 938 * 1e3:.2f} ms per step, mean loss {total / 938:.4f}")


def saved_bytes():
    for name, network in (("seed-mlp", seed_mlp), ("fashion-mlp", fashion_mlp), ("fashion-cnn", fashion_cnn)):
        model, criterion, _, shape = network()
        x = torch.rand(shape)
        y = torch.rand(shape[0], 1) if name == "seed-mlp" else torch.randint(0, 10, (shape[0],))
        excluded = {p.data_ptr() for p in model.parameters()} | {x.data_ptr()}
        storages = {}

        def pack(tensor):
            # torch 2 has untyped_storage(); Debian's 1.13 only storage().
            storage = tensor.untyped_storage() if hasattr(tensor, "untyped_storage") else tensor.storage()
            if storage.data_ptr() not in excluded:
                storages[storage.data_ptr()] = storage.size() * (1 if hasattr(tensor, "untyped_storage") else tensor.element_size())
            return tensor

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            loss = criterion(model(x), y)
        loss.backward()
        print(f"{name}: autograd keeps {sum(storages.values())} bytes in {len(storages)} tensors for the backward pass "
              f"(batch {shape[0]}, torch {torch.__version__})")


if __name__ == "__main__":
    actions = {"seed": time_seed_steps, "epochs": epochs, "saved": saved_bytes}
    for argument in sys.argv[1:] or ["seed", "epochs"]:
        if argument not in actions:
            sys.exit(f"unknown argument {argument!r}: seed, epochs or saved")
        actions[argument]()
