#pragma once
// Greedy adjacent-pair merging shared by the SentencePiece-style and BPE tokenizers (private to
// core/model): repeatedly merge the adjacent pair of highest priority, leftmost among equals,
// until no pair merges. The same result as rescanning the whole sequence after every merge (what
// llama2.c's run.c does), in O(n log n) with a heap and a linked list instead of O(n²).
#include <cstdint>
#include <optional>
#include <queue>
#include <utility>
#include <vector>

namespace quench::model::detail {

/// `pairFn(left, right)` returns {priority, merged id} when the two ids merge, else nullopt.
template <class PairFn>
void mergeGreedy(std::vector<int>& seq, PairFn pairFn) {
  const int n = static_cast<int>(seq.size());
  if (n < 2) return;
  std::vector<int> prev(static_cast<std::size_t>(n)), next(static_cast<std::size_t>(n));
  std::vector<std::uint32_t> version(static_cast<std::size_t>(n), 0);  // bumped when a node changes
  std::vector<bool> alive(static_cast<std::size_t>(n), true);
  for (int i = 0; i < n; ++i) {
    prev[static_cast<std::size_t>(i)] = i - 1;
    next[static_cast<std::size_t>(i)] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    double priority;
    int left, right, merged;
    std::uint32_t leftVersion, rightVersion;
  };
  // Top of the heap: highest priority, then smallest left index (= leftmost, order is preserved).
  auto worse = [](const Candidate& a, const Candidate& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.left > b.left;
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse)> heap(worse);
  auto push = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    if (auto m = pairFn(seq[static_cast<std::size_t>(l)], seq[static_cast<std::size_t>(r)]))
      heap.push({m->first, l, r, m->second, version[static_cast<std::size_t>(l)], version[static_cast<std::size_t>(r)]});
  };
  for (int i = 0; i + 1 < n; ++i) push(i, i + 1);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    const auto l = static_cast<std::size_t>(c.left), r = static_cast<std::size_t>(c.right);
    // Stale: a side was merged away or changed since the candidate was pushed.
    if (!alive[l] || !alive[r] || next[l] != c.right || version[l] != c.leftVersion || version[r] != c.rightVersion)
      continue;
    seq[l] = c.merged;
    ++version[l];
    alive[r] = false;
    next[l] = next[r];
    if (next[r] >= 0) prev[static_cast<std::size_t>(next[r])] = c.left;
    push(prev[l], c.left);
    push(c.left, next[l]);
  }
  std::vector<int> out;
  for (int i = 0; i >= 0; i = next[static_cast<std::size_t>(i)]) out.push_back(seq[static_cast<std::size_t>(i)]);
  seq = std::move(out);
}

}  // namespace quench::model::detail
