// Float formats (MATH.md §3): format tables, exhaustive code checks, rounding rules, saturation,
// MX block scales, against hand-computed values, dtype.h's converters and the golden values of
// tools/golden_quant_alt.py (NumPy, nearest-value search over an enumerated code table).
#include <QtTest/QtTest>

#include <cmath>
#include <cstring>
#include <random>

#include "common/fuzzy.h"
#include "core/exec/parallel.h"
#include "core/quant/float_format.h"
#include "core/tensor/dtype.h"

using namespace quench;

namespace {

struct GoldenRound {
  float x;
  unsigned code;
};

// ---- pasted from `python3 tools/golden_quant_alt.py floats` ----
// e3m2: the 32 non-negative values in code order 0x00..
constexpr double kE3M2Values[] = {0.0, 0.0625, 0.125, 0.1875, 0.25, 0.3125, 0.375, 0.4375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0, 14.0, 16.0, 20.0, 24.0, 28.0};
// e2m3: the 32 non-negative values in code order 0x00..
constexpr double kE2M3Values[] = {0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.125, 1.25, 1.375, 1.5, 1.625, 1.75, 1.875, 2.0, 2.25, 2.5, 2.75, 3.0, 3.25, 3.5, 3.75, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5};
// e2m1: the 8 non-negative values in code order 0x00..
constexpr double kE2M1Values[] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0};
// e4m3: 105 (input, expected code) pairs under nearest-even
constexpr GoldenRound kE4M3Golden[] = {
    {0x1.0000000000000p-10f, 0x00}, {-0x1.fffffe0000000p-11f, 0x80}, {0x1.0000020000000p-10f, 0x01}, {-0x1.6000000000000p-7f, 0x86},
    {0x1.5ffffe0000000p-7f, 0x05}, {-0x1.6000020000000p-7f, 0x86}, {0x1.5000000000000p-6f, 0x0a}, {-0x1.4ffffe0000000p-6f, 0x8a},
    {0x1.5000020000000p-6f, 0x0b}, {-0x1.f000000000000p-6f, 0x90}, {0x1.effffe0000000p-6f, 0x0f}, {-0x1.f000020000000p-6f, 0x90},
    {0x1.9000000000000p-5f, 0x14}, {-0x1.8ffffe0000000p-5f, 0x94}, {0x1.9000020000000p-5f, 0x15}, {-0x1.3000000000000p-4f, 0x9a},
    {0x1.2ffffe0000000p-4f, 0x19}, {-0x1.3000020000000p-4f, 0x9a}, {0x1.d000000000000p-4f, 0x1e}, {-0x1.cffffe0000000p-4f, 0x9e},
    {0x1.d000020000000p-4f, 0x1f}, {-0x1.7000000000000p-3f, 0xa4}, {0x1.6ffffe0000000p-3f, 0x23}, {-0x1.7000020000000p-3f, 0xa4},
    {0x1.1000000000000p-2f, 0x28}, {-0x1.0ffffe0000000p-2f, 0xa8}, {0x1.1000020000000p-2f, 0x29}, {-0x1.b000000000000p-2f, 0xae},
    {0x1.affffe0000000p-2f, 0x2d}, {-0x1.b000020000000p-2f, 0xae}, {0x1.5000000000000p-1f, 0x32}, {-0x1.4ffffe0000000p-1f, 0xb2},
    {0x1.5000020000000p-1f, 0x33}, {-0x1.f000000000000p-1f, 0xb8}, {0x1.effffe0000000p-1f, 0x37}, {-0x1.f000020000000p-1f, 0xb8},
    {0x1.9000000000000p+0f, 0x3c}, {-0x1.8ffffe0000000p+0f, 0xbc}, {0x1.9000020000000p+0f, 0x3d}, {-0x1.3000000000000p+1f, 0xc2},
    {0x1.2ffffe0000000p+1f, 0x41}, {-0x1.3000020000000p+1f, 0xc2}, {0x1.d000000000000p+1f, 0x46}, {-0x1.cffffe0000000p+1f, 0xc6},
    {0x1.d000020000000p+1f, 0x47}, {-0x1.7000000000000p+2f, 0xcc}, {0x1.6ffffe0000000p+2f, 0x4b}, {-0x1.7000020000000p+2f, 0xcc},
    {0x1.1000000000000p+3f, 0x50}, {-0x1.0ffffe0000000p+3f, 0xd0}, {0x1.1000020000000p+3f, 0x51}, {-0x1.b000000000000p+3f, 0xd6},
    {0x1.affffe0000000p+3f, 0x55}, {-0x1.b000020000000p+3f, 0xd6}, {0x1.5000000000000p+4f, 0x5a}, {-0x1.4ffffe0000000p+4f, 0xda},
    {0x1.5000020000000p+4f, 0x5b}, {-0x1.f000000000000p+4f, 0xe0}, {0x1.effffe0000000p+4f, 0x5f}, {-0x1.f000020000000p+4f, 0xe0},
    {0x1.9000000000000p+5f, 0x64}, {-0x1.8ffffe0000000p+5f, 0xe4}, {0x1.9000020000000p+5f, 0x65}, {-0x1.3000000000000p+6f, 0xea},
    {0x1.2ffffe0000000p+6f, 0x69}, {-0x1.3000020000000p+6f, 0xea}, {0x1.d000000000000p+6f, 0x6e}, {-0x1.cffffe0000000p+6f, 0xee},
    {0x1.d000020000000p+6f, 0x6f}, {-0x1.7000000000000p+7f, 0xf4}, {0x1.6ffffe0000000p+7f, 0x73}, {-0x1.7000020000000p+7f, 0xf4},
    {0x1.1000000000000p+8f, 0x78}, {-0x1.0ffffe0000000p+8f, 0xf8}, {0x1.1000020000000p+8f, 0x79}, {-0x1.b000000000000p+8f, 0xfe},
    {0x1.affffe0000000p+8f, 0x7d}, {-0x1.b000020000000p+8f, 0xfe}, {-0x1.89c3a40000000p+8f, 0xfc}, {0x1.8613540000000p+6f, 0x6c},
    {-0x1.66f7f80000000p+4f, 0xdb}, {-0x1.7c535c0000000p+8f, 0xfc}, {0x1.356de80000000p+7f, 0x72}, {0x1.a184f80000000p+8f, 0x7d},
    {0x1.d27ef00000000p+4f, 0x5f}, {0x1.ad0ce60000000p+7f, 0x75}, {-0x1.d206d00000000p+5f, 0xe7}, {0x1.8632480000000p+1f, 0x44},
    {0x1.24b2ea0000000p+8f, 0x79}, {0x1.d37d880000000p+8f, 0x7e}, {0x1.d307c80000000p+7f, 0x77}, {0x1.4770100000000p+8f, 0x7a},
    {-0x1.54f7600000000p+6f, 0xeb}, {-0x1.aa16ae0000000p+5f, 0xe5}, {-0x1.2454020000000p-7f, 0x85}, {0x1.7101780000000p-7f, 0x06},
    {0x1.0bf7360000000p-6f, 0x08}, {-0x1.06bedc0000000p-8f, 0x82}, {0x1.e28b400000000p-13f, 0x00}, {0x1.2b095a0000000p-7f, 0x05},
    {-0x1.c6f87a0000000p-8f, 0x84}, {0x1.1de0220000000p-8f, 0x02}, {0x1.cd70a40000000p+8f, 0x7e}, {-0x1.df5c280000000p+8f, 0xfe},
    {-0x1.0ccccc0000000p+9f, 0xfe},
};
// e5m2: 102 (input, expected code) pairs under nearest-even
constexpr GoldenRound kE5M2Golden[] = {
    {0x1.0000000000000p-17f, 0x00}, {-0x1.fffffe0000000p-18f, 0x80}, {0x1.0000020000000p-17f, 0x01}, {-0x1.6000000000000p-14f, 0x86},
    {0x1.5ffffe0000000p-14f, 0x05}, {-0x1.6000020000000p-14f, 0x86}, {0x1.a000000000000p-13f, 0x0a}, {-0x1.9ffffe0000000p-13f, 0x8a},
    {0x1.a000020000000p-13f, 0x0b}, {-0x1.e000000000000p-12f, 0x90}, {0x1.dffffe0000000p-12f, 0x0f}, {-0x1.e000020000000p-12f, 0x90},
    {0x1.2000000000000p-10f, 0x14}, {-0x1.1ffffe0000000p-10f, 0x94}, {0x1.2000020000000p-10f, 0x15}, {-0x1.6000000000000p-9f, 0x9a},
    {0x1.5ffffe0000000p-9f, 0x19}, {-0x1.6000020000000p-9f, 0x9a}, {0x1.a000000000000p-8f, 0x1e}, {-0x1.9ffffe0000000p-8f, 0x9e},
    {0x1.a000020000000p-8f, 0x1f}, {-0x1.e000000000000p-7f, 0xa4}, {0x1.dffffe0000000p-7f, 0x23}, {-0x1.e000020000000p-7f, 0xa4},
    {0x1.2000000000000p-5f, 0x28}, {-0x1.1ffffe0000000p-5f, 0xa8}, {0x1.2000020000000p-5f, 0x29}, {-0x1.6000000000000p-4f, 0xae},
    {0x1.5ffffe0000000p-4f, 0x2d}, {-0x1.6000020000000p-4f, 0xae}, {0x1.a000000000000p-3f, 0x32}, {-0x1.9ffffe0000000p-3f, 0xb2},
    {0x1.a000020000000p-3f, 0x33}, {-0x1.e000000000000p-2f, 0xb8}, {0x1.dffffe0000000p-2f, 0x37}, {-0x1.e000020000000p-2f, 0xb8},
    {0x1.2000000000000p+0f, 0x3c}, {-0x1.1ffffe0000000p+0f, 0xbc}, {0x1.2000020000000p+0f, 0x3d}, {-0x1.6000000000000p+1f, 0xc2},
    {0x1.5ffffe0000000p+1f, 0x41}, {-0x1.6000020000000p+1f, 0xc2}, {0x1.a000000000000p+2f, 0x46}, {-0x1.9ffffe0000000p+2f, 0xc6},
    {0x1.a000020000000p+2f, 0x47}, {-0x1.e000000000000p+3f, 0xcc}, {0x1.dffffe0000000p+3f, 0x4b}, {-0x1.e000020000000p+3f, 0xcc},
    {0x1.2000000000000p+5f, 0x50}, {-0x1.1ffffe0000000p+5f, 0xd0}, {0x1.2000020000000p+5f, 0x51}, {-0x1.6000000000000p+6f, 0xd6},
    {0x1.5ffffe0000000p+6f, 0x55}, {-0x1.6000020000000p+6f, 0xd6}, {0x1.a000000000000p+7f, 0x5a}, {-0x1.9ffffe0000000p+7f, 0xda},
    {0x1.a000020000000p+7f, 0x5b}, {-0x1.e000000000000p+8f, 0xe0}, {0x1.dffffe0000000p+8f, 0x5f}, {-0x1.e000020000000p+8f, 0xe0},
    {0x1.2000000000000p+10f, 0x64}, {-0x1.1ffffe0000000p+10f, 0xe4}, {0x1.2000020000000p+10f, 0x65}, {-0x1.6000000000000p+11f, 0xea},
    {0x1.5ffffe0000000p+11f, 0x69}, {-0x1.6000020000000p+11f, 0xea}, {0x1.a000000000000p+12f, 0x6e}, {-0x1.9ffffe0000000p+12f, 0xee},
    {0x1.a000020000000p+12f, 0x6f}, {-0x1.e000000000000p+13f, 0xf4}, {0x1.dffffe0000000p+13f, 0x73}, {-0x1.e000020000000p+13f, 0xf4},
    {0x1.2000000000000p+15f, 0x78}, {-0x1.1ffffe0000000p+15f, 0xf8}, {0x1.2000020000000p+15f, 0x79}, {-0x1.c56ec00000000p+15f, 0xfb},
    {0x1.5f8f040000000p+12f, 0x6d}, {-0x1.ce6aa00000000p+14f, 0xf7}, {0x1.5f31c20000000p+14f, 0x75}, {-0x1.47da880000000p+13f, 0xf1},
    {-0x1.011b520000000p+16f, 0xfc}, {0x1.eb7de00000000p+11f, 0x6c}, {0x1.b9437a0000000p+14f, 0x77}, {0x1.304bce0000000p+13f, 0x71},
    {-0x1.4bae6e0000000p+14f, 0xf5}, {0x1.1010040000000p+15f, 0x78}, {0x1.9e26060000000p+15f, 0x7a}, {-0x1.1cd6a60000000p+14f, 0xf4},
    {0x1.9d85a20000000p+13f, 0x72}, {0x1.55fa780000000p+13f, 0x71}, {-0x1.4a98a20000000p+15f, 0xf9}, {0x1.332c700000000p-21f, 0x00},
    {-0x1.84d29e0000000p-15f, 0x83}, {0x1.0f28f40000000p-16f, 0x01}, {0x1.1cd3c20000000p-16f, 0x01}, {0x1.a1ef6c0000000p-15f, 0x03},
    {-0x1.c835860000000p-14f, 0x87}, {-0x1.00241e0000000p-14f, 0x84}, {-0x1.6ea5c80000000p-18f, 0x80}, {-0x1.cd70a40000000p+15f, 0xfb},
    {0x1.df5c280000000p+15f, 0x7b}, {0x1.0ccccc0000000p+16f, 0x7c},
};
// e3m2: 120 (input, expected code) pairs under nearest-even
constexpr GoldenRound kE3M2Golden[] = {
    {0x1.0000000000000p-5f, 0x00}, {-0x1.fffffe0000000p-6f, 0x20}, {0x1.0000020000000p-5f, 0x01}, {-0x1.8000000000000p-4f, 0x22},
    {0x1.7ffffe0000000p-4f, 0x01}, {-0x1.8000020000000p-4f, 0x22}, {0x1.4000000000000p-3f, 0x02}, {-0x1.3ffffe0000000p-3f, 0x22},
    {0x1.4000020000000p-3f, 0x03}, {-0x1.c000000000000p-3f, 0x24}, {0x1.bffffe0000000p-3f, 0x03}, {-0x1.c000020000000p-3f, 0x24},
    {0x1.2000000000000p-2f, 0x04}, {-0x1.1ffffe0000000p-2f, 0x24}, {0x1.2000020000000p-2f, 0x05}, {-0x1.6000000000000p-2f, 0x26},
    {0x1.5ffffe0000000p-2f, 0x05}, {-0x1.6000020000000p-2f, 0x26}, {0x1.a000000000000p-2f, 0x06}, {-0x1.9ffffe0000000p-2f, 0x26},
    {0x1.a000020000000p-2f, 0x07}, {-0x1.e000000000000p-2f, 0x28}, {0x1.dffffe0000000p-2f, 0x07}, {-0x1.e000020000000p-2f, 0x28},
    {0x1.2000000000000p-1f, 0x08}, {-0x1.1ffffe0000000p-1f, 0x28}, {0x1.2000020000000p-1f, 0x09}, {-0x1.6000000000000p-1f, 0x2a},
    {0x1.5ffffe0000000p-1f, 0x09}, {-0x1.6000020000000p-1f, 0x2a}, {0x1.a000000000000p-1f, 0x0a}, {-0x1.9ffffe0000000p-1f, 0x2a},
    {0x1.a000020000000p-1f, 0x0b}, {-0x1.e000000000000p-1f, 0x2c}, {0x1.dffffe0000000p-1f, 0x0b}, {-0x1.e000020000000p-1f, 0x2c},
    {0x1.2000000000000p+0f, 0x0c}, {-0x1.1ffffe0000000p+0f, 0x2c}, {0x1.2000020000000p+0f, 0x0d}, {-0x1.6000000000000p+0f, 0x2e},
    {0x1.5ffffe0000000p+0f, 0x0d}, {-0x1.6000020000000p+0f, 0x2e}, {0x1.a000000000000p+0f, 0x0e}, {-0x1.9ffffe0000000p+0f, 0x2e},
    {0x1.a000020000000p+0f, 0x0f}, {-0x1.e000000000000p+0f, 0x30}, {0x1.dffffe0000000p+0f, 0x0f}, {-0x1.e000020000000p+0f, 0x30},
    {0x1.2000000000000p+1f, 0x10}, {-0x1.1ffffe0000000p+1f, 0x30}, {0x1.2000020000000p+1f, 0x11}, {-0x1.6000000000000p+1f, 0x32},
    {0x1.5ffffe0000000p+1f, 0x11}, {-0x1.6000020000000p+1f, 0x32}, {0x1.a000000000000p+1f, 0x12}, {-0x1.9ffffe0000000p+1f, 0x32},
    {0x1.a000020000000p+1f, 0x13}, {-0x1.e000000000000p+1f, 0x34}, {0x1.dffffe0000000p+1f, 0x13}, {-0x1.e000020000000p+1f, 0x34},
    {0x1.2000000000000p+2f, 0x14}, {-0x1.1ffffe0000000p+2f, 0x34}, {0x1.2000020000000p+2f, 0x15}, {-0x1.6000000000000p+2f, 0x36},
    {0x1.5ffffe0000000p+2f, 0x15}, {-0x1.6000020000000p+2f, 0x36}, {0x1.a000000000000p+2f, 0x16}, {-0x1.9ffffe0000000p+2f, 0x36},
    {0x1.a000020000000p+2f, 0x17}, {-0x1.e000000000000p+2f, 0x38}, {0x1.dffffe0000000p+2f, 0x17}, {-0x1.e000020000000p+2f, 0x38},
    {0x1.2000000000000p+3f, 0x18}, {-0x1.1ffffe0000000p+3f, 0x38}, {0x1.2000020000000p+3f, 0x19}, {-0x1.6000000000000p+3f, 0x3a},
    {0x1.5ffffe0000000p+3f, 0x19}, {-0x1.6000020000000p+3f, 0x3a}, {0x1.a000000000000p+3f, 0x1a}, {-0x1.9ffffe0000000p+3f, 0x3a},
    {0x1.a000020000000p+3f, 0x1b}, {-0x1.e000000000000p+3f, 0x3c}, {0x1.dffffe0000000p+3f, 0x1b}, {-0x1.e000020000000p+3f, 0x3c},
    {0x1.2000000000000p+4f, 0x1c}, {-0x1.1ffffe0000000p+4f, 0x3c}, {0x1.2000020000000p+4f, 0x1d}, {-0x1.6000000000000p+4f, 0x3e},
    {0x1.5ffffe0000000p+4f, 0x1d}, {-0x1.6000020000000p+4f, 0x3e}, {0x1.a000000000000p+4f, 0x1e}, {-0x1.9ffffe0000000p+4f, 0x3e},
    {0x1.a000020000000p+4f, 0x1f}, {-0x1.794c1a0000000p+1f, 0x32}, {-0x1.fd1a420000000p+1f, 0x34}, {-0x1.debf500000000p+3f, 0x3b},
    {-0x1.0185360000000p+4f, 0x3c}, {-0x1.0181c60000000p+5f, 0x3f}, {-0x1.69b8580000000p+3f, 0x3a}, {-0x1.051c3a0000000p+5f, 0x3f},
    {-0x1.016c500000000p+5f, 0x3f}, {-0x1.58bac20000000p+3f, 0x39}, {-0x1.394ff40000000p-1f, 0x29}, {-0x1.b07a000000000p+2f, 0x37},
    {0x1.c11d8c0000000p+3f, 0x1b}, {-0x1.bd17080000000p+4f, 0x3f}, {-0x1.f705140000000p+3f, 0x3c}, {0x1.e869ee0000000p+4f, 0x1f},
    {0x1.b9bbd60000000p+4f, 0x1f}, {0x1.038c680000000p-2f, 0x04}, {-0x1.6e6a1a0000000p-3f, 0x23}, {0x1.2fbcdc0000000p-3f, 0x02},
    {-0x1.72a8ec0000000p-3f, 0x23}, {-0x1.235fe40000000p-4f, 0x21}, {0x1.5c34e00000000p-6f, 0x00}, {-0x1.21780a0000000p-3f, 0x22},
    {0x1.25643c0000000p-2f, 0x05}, {-0x1.cd70a40000000p+4f, 0x3f}, {0x1.df5c280000000p+4f, 0x1f}, {0x1.0ccccc0000000p+5f, 0x1f},
};
// e2m3: 120 (input, expected code) pairs under nearest-even
constexpr GoldenRound kE2M3Golden[] = {
    {0x1.0000000000000p-4f, 0x00}, {-0x1.fffffe0000000p-5f, 0x20}, {0x1.0000020000000p-4f, 0x01}, {-0x1.8000000000000p-3f, 0x22},
    {0x1.7ffffe0000000p-3f, 0x01}, {-0x1.8000020000000p-3f, 0x22}, {0x1.4000000000000p-2f, 0x02}, {-0x1.3ffffe0000000p-2f, 0x22},
    {0x1.4000020000000p-2f, 0x03}, {-0x1.c000000000000p-2f, 0x24}, {0x1.bffffe0000000p-2f, 0x03}, {-0x1.c000020000000p-2f, 0x24},
    {0x1.2000000000000p-1f, 0x04}, {-0x1.1ffffe0000000p-1f, 0x24}, {0x1.2000020000000p-1f, 0x05}, {-0x1.6000000000000p-1f, 0x26},
    {0x1.5ffffe0000000p-1f, 0x05}, {-0x1.6000020000000p-1f, 0x26}, {0x1.a000000000000p-1f, 0x06}, {-0x1.9ffffe0000000p-1f, 0x26},
    {0x1.a000020000000p-1f, 0x07}, {-0x1.e000000000000p-1f, 0x28}, {0x1.dffffe0000000p-1f, 0x07}, {-0x1.e000020000000p-1f, 0x28},
    {0x1.1000000000000p+0f, 0x08}, {-0x1.0ffffe0000000p+0f, 0x28}, {0x1.1000020000000p+0f, 0x09}, {-0x1.3000000000000p+0f, 0x2a},
    {0x1.2ffffe0000000p+0f, 0x09}, {-0x1.3000020000000p+0f, 0x2a}, {0x1.5000000000000p+0f, 0x0a}, {-0x1.4ffffe0000000p+0f, 0x2a},
    {0x1.5000020000000p+0f, 0x0b}, {-0x1.7000000000000p+0f, 0x2c}, {0x1.6ffffe0000000p+0f, 0x0b}, {-0x1.7000020000000p+0f, 0x2c},
    {0x1.9000000000000p+0f, 0x0c}, {-0x1.8ffffe0000000p+0f, 0x2c}, {0x1.9000020000000p+0f, 0x0d}, {-0x1.b000000000000p+0f, 0x2e},
    {0x1.affffe0000000p+0f, 0x0d}, {-0x1.b000020000000p+0f, 0x2e}, {0x1.d000000000000p+0f, 0x0e}, {-0x1.cffffe0000000p+0f, 0x2e},
    {0x1.d000020000000p+0f, 0x0f}, {-0x1.f000000000000p+0f, 0x30}, {0x1.effffe0000000p+0f, 0x0f}, {-0x1.f000020000000p+0f, 0x30},
    {0x1.1000000000000p+1f, 0x10}, {-0x1.0ffffe0000000p+1f, 0x30}, {0x1.1000020000000p+1f, 0x11}, {-0x1.3000000000000p+1f, 0x32},
    {0x1.2ffffe0000000p+1f, 0x11}, {-0x1.3000020000000p+1f, 0x32}, {0x1.5000000000000p+1f, 0x12}, {-0x1.4ffffe0000000p+1f, 0x32},
    {0x1.5000020000000p+1f, 0x13}, {-0x1.7000000000000p+1f, 0x34}, {0x1.6ffffe0000000p+1f, 0x13}, {-0x1.7000020000000p+1f, 0x34},
    {0x1.9000000000000p+1f, 0x14}, {-0x1.8ffffe0000000p+1f, 0x34}, {0x1.9000020000000p+1f, 0x15}, {-0x1.b000000000000p+1f, 0x36},
    {0x1.affffe0000000p+1f, 0x15}, {-0x1.b000020000000p+1f, 0x36}, {0x1.d000000000000p+1f, 0x16}, {-0x1.cffffe0000000p+1f, 0x36},
    {0x1.d000020000000p+1f, 0x17}, {-0x1.f000000000000p+1f, 0x38}, {0x1.effffe0000000p+1f, 0x17}, {-0x1.f000020000000p+1f, 0x38},
    {0x1.1000000000000p+2f, 0x18}, {-0x1.0ffffe0000000p+2f, 0x38}, {0x1.1000020000000p+2f, 0x19}, {-0x1.3000000000000p+2f, 0x3a},
    {0x1.2ffffe0000000p+2f, 0x19}, {-0x1.3000020000000p+2f, 0x3a}, {0x1.5000000000000p+2f, 0x1a}, {-0x1.4ffffe0000000p+2f, 0x3a},
    {0x1.5000020000000p+2f, 0x1b}, {-0x1.7000000000000p+2f, 0x3c}, {0x1.6ffffe0000000p+2f, 0x1b}, {-0x1.7000020000000p+2f, 0x3c},
    {0x1.9000000000000p+2f, 0x1c}, {-0x1.8ffffe0000000p+2f, 0x3c}, {0x1.9000020000000p+2f, 0x1d}, {-0x1.b000000000000p+2f, 0x3e},
    {0x1.affffe0000000p+2f, 0x1d}, {-0x1.b000020000000p+2f, 0x3e}, {0x1.d000000000000p+2f, 0x1e}, {-0x1.cffffe0000000p+2f, 0x3e},
    {0x1.d000020000000p+2f, 0x1f}, {0x1.be24980000000p+2f, 0x1e}, {-0x1.80423e0000000p+0f, 0x2c}, {0x1.086f520000000p+1f, 0x10},
    {-0x1.6b9fd20000000p+2f, 0x3b}, {-0x1.19b2160000000p+2f, 0x39}, {0x1.65c00a0000000p+2f, 0x1b}, {0x1.582f120000000p+1f, 0x13},
    {-0x1.ceba400000000p+0f, 0x2e}, {0x1.cf349a0000000p+2f, 0x1e}, {0x1.eb5c500000000p-2f, 0x04}, {0x1.53e6620000000p+2f, 0x1b},
    {0x1.54b6c20000000p+2f, 0x1b}, {0x1.068b200000000p+3f, 0x1f}, {-0x1.13be300000000p+1f, 0x31}, {-0x1.1bf7960000000p+1f, 0x31},
    {0x1.97f1d00000000p+2f, 0x1d}, {0x1.2423580000000p-1f, 0x05}, {0x1.1417920000000p-3f, 0x01}, {-0x1.a152f60000000p-3f, 0x22},
    {-0x1.1dee120000000p-5f, 0x20}, {0x1.a925d80000000p-4f, 0x01}, {-0x1.a5c6840000000p-2f, 0x23}, {-0x1.6ca3400000000p-2f, 0x23},
    {0x1.bdbb760000000p-2f, 0x03}, {-0x1.ee66660000000p+2f, 0x3f}, {0x1.00cccc0000000p+3f, 0x1f}, {0x1.2000000000000p+3f, 0x1f},
};
// e2m1: 48 (input, expected code) pairs under nearest-even
constexpr GoldenRound kE2M1Golden[] = {
    {0x1.0000000000000p-2f, 0x00}, {-0x1.fffffe0000000p-3f, 0x08}, {0x1.0000020000000p-2f, 0x01}, {-0x1.8000000000000p-1f, 0x0a},
    {0x1.7ffffe0000000p-1f, 0x01}, {-0x1.8000020000000p-1f, 0x0a}, {0x1.4000000000000p+0f, 0x02}, {-0x1.3ffffe0000000p+0f, 0x0a},
    {0x1.4000020000000p+0f, 0x03}, {-0x1.c000000000000p+0f, 0x0c}, {0x1.bffffe0000000p+0f, 0x03}, {-0x1.c000020000000p+0f, 0x0c},
    {0x1.4000000000000p+1f, 0x04}, {-0x1.3ffffe0000000p+1f, 0x0c}, {0x1.4000020000000p+1f, 0x05}, {-0x1.c000000000000p+1f, 0x0e},
    {0x1.bffffe0000000p+1f, 0x05}, {-0x1.c000020000000p+1f, 0x0e}, {0x1.4000000000000p+2f, 0x06}, {-0x1.3ffffe0000000p+2f, 0x0e},
    {0x1.4000020000000p+2f, 0x07}, {-0x1.3920160000000p+2f, 0x0e}, {-0x1.08f6560000000p+1f, 0x0c}, {0x1.8d78b80000000p-1f, 0x02},
    {0x1.01a4340000000p+2f, 0x06}, {0x1.bd672e0000000p+1f, 0x05}, {0x1.01e3a20000000p+0f, 0x02}, {-0x1.a05b860000000p+2f, 0x0f},
    {-0x1.c8f54a0000000p+2f, 0x0f}, {0x1.eb20280000000p+0f, 0x04}, {-0x1.b2b2400000000p+1f, 0x0d}, {-0x1.94271a0000000p+2f, 0x0f},
    {0x1.d712be0000000p+1f, 0x06}, {0x1.1fd3e60000000p+0f, 0x02}, {0x1.68106c0000000p+1f, 0x05}, {0x1.d827540000000p-1f, 0x02},
    {0x1.cccba40000000p+0f, 0x04}, {0x1.ac19360000000p-2f, 0x01}, {0x1.6a469e0000000p+0f, 0x03}, {0x1.17fe6a0000000p-3f, 0x00},
    {-0x1.31f16a0000000p+2f, 0x0e}, {0x1.541b020000000p-2f, 0x01}, {-0x1.6802680000000p+1f, 0x0d}, {-0x1.a9fd580000000p-2f, 0x09},
    {-0x1.2ea1380000000p+1f, 0x0c}, {-0x1.8b851e0000000p+2f, 0x0f}, {0x1.9ae1480000000p+2f, 0x07}, {0x1.cccccc0000000p+2f, 0x07},
};
// ---- end of pasted golden values ----

FloatFormat fmt(const char* name) {
  auto f = parseFloatFormat(name);
  if (!f) qFatal("%s", f.error().message.c_str());
  return *f;
}

template <std::size_t N>
void checkGolden(const char* name, const GoldenRound (&golden)[N]) {
  const FloatFormat f = fmt(name);
  for (const GoldenRound& g : golden) {
    const FloatEncoded e = encodeFloat(f, g.x);
    QVERIFY2(e.code == g.code, qPrintable(QStringLiteral("%1: %2 -> 0x%3, golden 0x%4")
                                             .arg(name).arg(g.x, 0, 'g', 9).arg(e.code, 0, 16).arg(g.code, 0, 16)));
  }
}

template <std::size_t N>
void checkTable(const char* name, const double (&values)[N]) {
  const FloatFormat f = fmt(name);
  QCOMPARE(std::size_t{1} << (f.bits() - 1), N);
  for (std::size_t c = 0; c < N; ++c) {
    QCOMPARE(decodeFloat(f, static_cast<std::uint16_t>(c)), values[c]);
    QCOMPARE(decodeFloat(f, static_cast<std::uint16_t>(c | N)), -values[c]);  // sign bit
    // every value maps back to its own code
    QCOMPARE(encodeFloat(f, static_cast<float>(values[c])).code, c);
  }
}

}  // namespace

class TestFloatFormat : public QObject {
  Q_OBJECT
 private slots:
  void formatTable() {
    using namespace float_formats;
    QCOMPARE(fp16().maxFinite, 65504.0);
    QCOMPARE(bf16().maxFinite, static_cast<double>(3.38953139e38f));
    QCOMPARE(e4m3().maxFinite, 448.0);
    QCOMPARE(e5m2().maxFinite, 57344.0);
    QCOMPARE(e3m2().maxFinite, 28.0);
    QCOMPARE(e2m3().maxFinite, 7.5);
    QCOMPARE(e2m1().maxFinite, 6.0);
    QCOMPARE(e4m3().bias, 7);
    QCOMPARE(e5m2().bias, 15);
    QCOMPARE(e2m1().bias, 1);
    QVERIFY(!e4m3().hasInf);
    QVERIFY(e5m2().hasInf && fp16().hasInf && bf16().hasInf);
    QVERIFY(!e3m2().hasInf && !e2m3().hasInf && !e2m1().hasInf);
    QCOMPARE(e4m3().minSubnormal(), std::ldexp(1.0, -9));
    QCOMPARE(fp16().minSubnormal(), std::ldexp(1.0, -24));
    QCOMPARE(e5m2().maxExponent(), 15);
    QCOMPARE(e4m3().maxExponent(), 8);
    QCOMPARE(e2m1().maxExponent(), 2);
    QCOMPARE(e3m2().maxExponent(), 4);
    QCOMPARE(e2m3().maxExponent(), 2);
  }

  void parse() {
    QCOMPARE(fmt("E4M3").name, std::string("e4m3"));
    QCOMPARE(fmt("fp8_e5m2").name, std::string("e5m2"));
    QCOMPARE(fmt("e5m10").name, std::string("fp16"));
    QCOMPARE(fmt("e8m7").name, std::string("bf16"));
    // user formats: e ≤ 4 all-finite, e ≥ 5 IEEE-like
    const FloatFormat e3m4 = fmt("e3m4");
    QCOMPARE(e3m4.nanEncoding, NanEncoding::None);
    QCOMPARE(e3m4.maxFinite, (2.0 - 1.0 / 16) * 16);  // 2^(7−3)·1.9375
    const FloatFormat e6m3 = fmt("e6m3");
    QCOMPARE(e6m3.nanEncoding, NanEncoding::Ieee);
    QCOMPARE(e6m3.maxFinite, 1.875 * std::ldexp(1.0, 62 - 31));
    for (const char* bad : {"", "e", "e9m2", "e0m3", "e5m11", "e4m", "em3", "e4m3x", "fp7", "e-1m2"})
      QVERIFY2(!parseFloatFormat(bad).ok(), bad);
    QVERIFY(!makeFloatFormat(5, 0).ok());
  }

  void exhaustiveSmallFormats() {
    checkTable("e2m1", kE2M1Values);
    checkTable("e3m2", kE3M2Values);
    checkTable("e2m3", kE2M3Values);
    // MATH.md's E2M1 list, typed by hand
    const double e2m1[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    for (int c = 0; c < 8; ++c) QCOMPARE(decodeFloat(float_formats::e2m1(), c), e2m1[c]);
  }

  void fp8AgainstDtype() {
    // every code of both FP8 formats decodes as dtype.h's reader does, and encodes back
    for (unsigned c = 0; c < 256; ++c) {
      const double a = decodeFloat(float_formats::e4m3(), c), b = fp8e4m3ToFloat(c);
      QVERIFY(std::isnan(a) == std::isnan(b));
      if (std::isnan(a)) {
        QCOMPARE(c & 0x7f, 0x7fu);
        continue;
      }
      QCOMPARE(a, static_cast<double>(b));
      QCOMPARE(encodeFloat(float_formats::e4m3(), b).code, c);
    }
    for (unsigned c = 0; c < 256; ++c) {
      const double a = decodeFloat(float_formats::e5m2(), c), b = fp8e5m2ToFloat(c);
      QVERIFY(std::isnan(a) == std::isnan(b));
      if (!std::isnan(a)) {
        QCOMPARE(a, static_cast<double>(b));
        QCOMPARE(encodeFloat(float_formats::e5m2(), b).code, c);
      }
    }
  }

  void golden() {
    checkGolden("e4m3", kE4M3Golden);
    checkGolden("e5m2", kE5M2Golden);
    checkGolden("e3m2", kE3M2Golden);
    checkGolden("e2m3", kE2M3Golden);
    checkGolden("e2m1", kE2M1Golden);
  }

  void e4m3Boundaries() {
    const FloatFormat f = float_formats::e4m3();
    auto enc = [&](float x) { return encodeFloat(f, x); };
    QCOMPARE(enc(448).code, 0x7eu);
    QCOMPARE(enc(448).outcome, FloatOutcome::Finite);
    // 464 = 448 + half ulp: a tie between 448 (mantissa 110, even) and 480 (would be 1.111):
    // rounds to 448 without clamping
    QCOMPARE(enc(464).value, 448.0);
    QCOMPARE(enc(464).outcome, FloatOutcome::Finite);
    // just above the tie rounds to 480, which does not exist: saturates to 448
    QCOMPARE(enc(std::nextafter(464.0f, 1e9f)).value, 448.0);
    QCOMPARE(enc(std::nextafter(464.0f, 1e9f)).outcome, FloatOutcome::Saturated);
    QCOMPARE(enc(480).outcome, FloatOutcome::Saturated);
    QCOMPARE(enc(-1e30f).code, 0xfeu);
    QCOMPARE(enc(-1e30f).value, -448.0);
    QCOMPARE(enc(INFINITY).value, 448.0);
    QCOMPARE(enc(INFINITY).outcome, FloatOutcome::InfInput);
    QCOMPARE(enc(NAN).code, 0x7fu);
    QVERIFY(std::isnan(enc(NAN).value));
    // the largest finite below the NaN pattern in the top binade: 416 = 1.101·2^8
    QCOMPARE(enc(416).code, 0x7du);
    // subnormals: min 2^−9; half of it is a tie with 0 (even) → 0; 3·2^−10 ties 2^−9 and 2^−8 → 2^−8
    QCOMPARE(enc(std::ldexp(1.0f, -9)).code, 0x01u);
    QCOMPARE(enc(std::ldexp(1.0f, -10)).code, 0x00u);
    QCOMPARE(enc(std::ldexp(1.0f, -10)).value, 0.0);
    QCOMPARE(enc(std::ldexp(3.0f, -10)).code, 0x02u);
    QCOMPARE(enc(std::ldexp(5.0f, -10)).code, 0x02u);  // 2.5·2^−9: tie 2 vs 3 → 2 (even)
    QCOMPARE(enc(std::ldexp(7.0f, -10)).code, 0x04u);  // 3.5·2^−9: tie 3 vs 4 → 4
    QCOMPARE(enc(-std::ldexp(1.0f, -6)).code, 0x88u);  // smallest normal, negative
    QCOMPARE(enc(-0.0f).code, 0x80u);
  }

  void e5m2Overflow() {
    const FloatFormat f = float_formats::e5m2();
    // max 57344 = 1.75·2^15, ulp 8192: max + half ulp = 61440 overflows to inf under nearest-even
    QCOMPARE(encodeFloat(f, 57344).code, 0x7bu);
    QCOMPARE(encodeFloat(f, std::nextafter(61440.0f, 0.0f)).value, 57344.0);
    QCOMPARE(encodeFloat(f, 61440).code, 0x7cu);
    QCOMPARE(encodeFloat(f, 61440).outcome, FloatOutcome::Overflow);
    QVERIFY(std::isinf(encodeFloat(f, -61440).value));
    QCOMPARE(encodeFloat(f, -61440).code, 0xfcu);
    // toward zero never overflows (IEEE): clamps to max
    QCOMPARE(encodeFloat(f, 1e6f, Rounding::TowardZero).value, 57344.0);
    QCOMPARE(encodeFloat(f, 1e6f, Rounding::TowardZero).outcome, FloatOutcome::Saturated);
    QCOMPARE(encodeFloat(f, -INFINITY).code, 0xfcu);
    QCOMPARE(encodeFloat(f, NAN).code, 0x7eu);
    // no-inf formats saturate
    QCOMPARE(encodeFloat(float_formats::e2m1(), 7).value, 6.0);  // 7 ties 6 (odd) / 8 → 8 → clamp
    QCOMPARE(encodeFloat(float_formats::e2m1(), 7).outcome, FloatOutcome::Saturated);
    QCOMPARE(encodeFloat(float_formats::e2m1(), 6.9f).outcome, FloatOutcome::Finite);
    QCOMPARE(encodeFloat(float_formats::e2m1(), NAN).code, 0u);  // no NaN in E2M1: +0, reported
    QCOMPARE(encodeFloat(float_formats::e2m1(), NAN).outcome, FloatOutcome::NanInput);
  }

  void fp16AndBf16AgainstDtype() {
    // 4M random bit patterns (every class: NaN, inf, subnormal, overflow), plus exact ties
    std::mt19937_64 rng(7);
    const FloatFormat h = float_formats::fp16(), b = float_formats::bf16();
    for (int i = 0; i < 4'000'000; ++i) {
      std::uint32_t bits = static_cast<std::uint32_t>(rng());
      if (i % 4 == 1) bits &= 0xffffe000u | 0x1000u;  // fp16 ties: the 13 dropped bits = 1000…0
      if (i % 4 == 2) bits = (bits & 0xffff0000u) | 0x8000u;  // bf16 ties
      if (i % 4 == 3) bits = (bits & 0x80000000u) | ((bits % 0x2000000u) + 0x32000000u);  // near fp16 subnormals
      float x;
      std::memcpy(&x, &bits, 4);
      const FloatEncoded eh = encodeFloat(h, x), eb = encodeFloat(b, x);
      if (std::isnan(x)) {
        QVERIFY(std::isnan(halfToFloat(eh.code)) && std::isnan(bf16ToFloat(eb.code)));
        continue;
      }
      if (eh.code != floatToHalf(x) || eb.code != floatToBf16(x))
        QFAIL(qPrintable(QStringLiteral("x = %1 (0x%2): fp16 0x%3 vs 0x%4, bf16 0x%5 vs 0x%6")
                             .arg(x, 0, 'g', 9).arg(bits, 8, 16, QChar('0')).arg(eh.code, 0, 16)
                             .arg(floatToHalf(x), 0, 16).arg(eb.code, 0, 16).arg(floatToBf16(x), 0, 16)));
    }
  }

  void roundingModes() {
    const FloatFormat f = float_formats::e2m1();
    // 2.5: between 2 (1.0·2^1) and 3 (1.1·2^1)
    QCOMPARE(encodeFloat(f, 2.5f, Rounding::HalfEven).value, 2.0);
    QCOMPARE(encodeFloat(f, 2.5f, Rounding::HalfAwayFromZero).value, 3.0);
    QCOMPARE(encodeFloat(f, 2.9f, Rounding::TowardZero).value, 2.0);
    QCOMPARE(encodeFloat(f, -2.9f, Rounding::TowardZero).value, -2.0);
    QCOMPARE(encodeFloat(f, 5.0f, Rounding::HalfEven).value, 4.0);  // 4 = 1.0·2^2 is even
    QCOMPARE(encodeFloat(f, 5.0f, Rounding::HalfAwayFromZero).value, 6.0);
    QCOMPARE(encodeFloat(f, 0.25f, Rounding::HalfEven).value, 0.0);  // subnormal tie 0 / 0.5
    QCOMPARE(encodeFloat(f, -0.25f, Rounding::HalfEven).code, 0x8u);  // −0 keeps the sign
    // HalfUp: ties toward +∞ whatever the sign.
    QCOMPARE(encodeFloat(f, 2.5f, Rounding::HalfUp).value, 3.0);
    QCOMPARE(encodeFloat(f, -2.5f, Rounding::HalfUp).value, -2.0);
    QCOMPARE(encodeFloat(f, 0.25f, Rounding::HalfUp).value, 0.5);
    QCOMPARE(encodeFloat(f, -0.25f, Rounding::HalfUp).code, 0x8u);  // −0.25 → −0
    QCOMPARE(encodeFloat(f, -2.6f, Rounding::HalfUp).value, -3.0);  // not a tie: nearest
  }

  void stochastic() {
    const FloatFormat f = float_formats::e2m1();
    // 2.25 lies a quarter of the way from 2 to 3: expected value 2.25, P(up) = 0.25
    double sum = 0;
    int up = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
      const double v = encodeFloat(f, 2.25f, Rounding::Stochastic, 42, i).value;
      QVERIFY(v == 2.0 || v == 3.0);
      up += v == 3.0;
      sum += v;
    }
    // binomial sd of the fraction: sqrt(0.25·0.75/n) ≈ 0.00097; allow 5 sd
    QVERIFY(std::fabs(up / double(n) - 0.25) < 0.005);
    QVERIFY(std::fabs(sum / n - 2.25) < 0.005);
    // exactly representable values never move
    QCOMPARE(encodeFloat(f, 3.0f, Rounding::Stochastic, 42, 5).value, 3.0);
    // deterministic in (seed, index); another seed gives another draw sequence
    std::vector<float> x(100000, 2.25f);  // several TBB chunks
    FloatQuantParams p{f, Rounding::Stochastic, 42};
    auto r1 = quantizeFloat(x, p), r2 = quantizeFloat(x, p);
    QVERIFY(r1 && r2);
    QCOMPARE(r1->codes, r2->codes);
    for (std::size_t i = 0; i < x.size(); i += 97)
      QCOMPARE(r1->codes[i], std::int32_t{encodeFloat(f, 2.25f, Rounding::Stochastic, 42, i).code});
    {
      // one thread gives the same draws as the default pool
      exec::ThreadLimit one(1);
      QCOMPARE(quantizeFloat(x, p)->codes, r1->codes);
    }
    p.seed = 43;
    auto r3 = quantizeFloat(x, p);
    QVERIFY(r3->codes != r1->codes);
    QVERIFY(counterUniform(1, 2) != counterUniform(2, 1));
  }

  void tensorReport() {
    // E2M1 by hand: 0.3 → 0.5 (tie-free), 1.2 → 1, 7 → 6 (saturated), −2.6 → −3
    const std::vector<float> x{0.3f, 1.2f, 7.0f, -2.6f, NAN};
    auto r = quantizeFloat(x, FloatQuantParams{float_formats::e2m1()});
    QVERIFY(r);
    QCOMPARE(r->reconstruction[0], 0.5f);
    QCOMPARE(r->reconstruction[1], 1.0f);
    QCOMPARE(r->reconstruction[2], 6.0f);
    QCOMPARE(r->reconstruction[3], -3.0f);
    QCOMPARE(r->codes[3], 0xd);
    QCOMPARE(r->saturated[2], std::uint8_t{1});
    QCOMPARE(r->total.saturated, std::uint64_t{1});
    QCOMPARE(r->total.nan, std::uint64_t{1});
    // MSE over the 4 finite values: (0.2² + 0.2² + 1² + 0.4²)/4 = 0.31
    QUENCH_COMPARE_NEAR(r->total.mse, (0.04 + 0.04 + 1.0 + 0.16) / 4, 1e-6, 0);
    QCOMPARE(r->total.bitsPerParam, 4.0);
    QCOMPARE(r->total.compressedBytes, std::uint64_t{3});  // 5 × 4 bits = 20 bits
    QCOMPARE(r->parts.size(), std::size_t{1});
    // FP16 overflow is an infinite error, reported as such
    auto h = quantizeFloat(std::vector<float>{1.0f, 70000.0f}, FloatQuantParams{float_formats::fp16()});
    QCOMPARE(h->overflowed, std::uint64_t{1});
    QCOMPARE(h->total.nonFiniteReconstruction, std::uint64_t{1});
    // underflow to zero is counted
    auto u = quantizeFloat(std::vector<float>{1e-9f}, FloatQuantParams{float_formats::e4m3()});
    QCOMPARE(u->flushedToZero, std::uint64_t{1});
  }

  void mxScale() {
    const FloatFormat f = float_formats::e2m1();
    // OCP MX: X = 2^(floor(log2 amax) − emax_elem), emax(E2M1) = 2
    QCOMPARE(mxScaleExponent(f, 5.0), 0);
    QCOMPARE(mxScaleExponent(f, 100.0), 4);    // floor(log2 100) = 6
    QCOMPARE(mxScaleExponent(f, 0.01), -9);    // floor(log2 0.01) = −7
    QCOMPARE(mxScaleExponent(f, 0.0), -127);
    QCOMPARE(mxScaleExponent(float_formats::e4m3(), 1e-38), -127 );  // −126 − 8 clamps
    QCOMPARE(mxScaleExponent(float_formats::e4m3(), 3e38), 119);     // 127 − 8
    // block 0: amax 100 → X = 16: 100/16 = 6.25 → 6 → 96; 40/16 = 2.5 → 2 (even) → 32
    // block 1: amax 7 → X = 1: 7 is a tie 6|8 → 8 → saturates to 6 (MX elements never overflow)
    std::vector<float> x(64, 0.0f);
    x[0] = 100;
    x[1] = 40;
    x[2] = -1;  // −1/16 = −0.0625 → 0 (below ¼ of the subnormal 0.5)
    x[32] = 7;
    x[33] = -0.75f;  // tie 0.5 (odd mantissa 1) | 1.0 → 1
    FloatQuantParams p{f};
    p.mxScale = true;
    auto r = quantizeFloat(x, p);
    QVERIFY(r);
    QCOMPARE(r->scaleCodes, (std::vector<std::uint8_t>{127 + 4, 127}));
    QCOMPARE(r->reconstruction[0], 96.0f);
    QCOMPARE(r->reconstruction[1], 32.0f);
    QCOMPARE(r->reconstruction[2], -0.0f);
    QCOMPARE(r->reconstruction[32], 6.0f);
    QCOMPARE(r->saturated[32], std::uint8_t{1});
    QCOMPARE(r->reconstruction[33], -1.0f);
    QCOMPARE(r->parts.size(), std::size_t{2});
    QCOMPARE(r->parts[0].params.scale, 16.0);
    QCOMPARE(r->parts[1].saturated, std::uint64_t{1});
    QCOMPARE(r->total.bitsPerParam, 4.25);
    QCOMPARE(r->total.compressedBytes, std::uint64_t{64 * 4 / 8 + 2});
    QCOMPARE(floatBitsPerParam(p), 4.25);
    // E5M2 with MX saturates instead of overflowing: amax 61440 → X = 1, 61440 → 57344
    FloatQuantParams p8{float_formats::e5m2()};
    p8.mxScale = true;
    auto r8 = quantizeFloat(std::vector<float>{61440.0f}, p8);
    QCOMPARE(r8->reconstruction[0], 57344.0f);
    QCOMPARE(r8->total.saturated, std::uint64_t{1});
    // an empty tensor is not an error
    QVERIFY(quantizeFloat({}, p));
  }
};

QTEST_APPLESS_MAIN(TestFloatFormat)
#include "test_float_format.moc"
