// The reader threads.
#include "read_pool.hpp"

namespace disorder {

ReadPool::ReadPool(CrashGuard& guard, unsigned threads) : guard_(guard) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run(); });
}

ReadPool::~ReadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  work_ready_.notify_all();
  for (auto& t : threads_)
    t.join();
}

std::unique_ptr<ReadJob> ReadPool::job() {
  if (spare_.empty()) return std::make_unique<ReadJob>();
  auto j = std::move(spare_.back());
  spare_.pop_back();
  return j;
}

void ReadPool::recycle(std::unique_ptr<ReadJob> job) {
  spare_.push_back(std::move(job));
}

void ReadPool::submit(std::unique_ptr<ReadJob> job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  ++in_flight_;
  work_ready_.notify_one();
}

void ReadPool::take_finished(std::vector<std::unique_ptr<ReadJob>>& out,
                             std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (finished_.empty() && timeout.count() > 0)
    work_done_.wait_for(lock, timeout, [this] { return !finished_.empty(); });
  in_flight_ -= finished_.size();
  for (auto& j : finished_)
    out.push_back(std::move(j));
  finished_.clear();
}

void ReadPool::run() {
  TrackReader reader;
  for (;;) {
    std::unique_ptr<ReadJob> job;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job->error.clear();
    job->crashed_before = guard_.crashed_before(job->path, job->size, job->mtime_ns);
    if (job->crashed_before) {
      job->status = ReadStatus::unrecognised;
      job->data.length.reset();
      job->data.tags.clear();
    } else {
      CrashGuard::Reading reading(guard_, job->path, job->size, job->mtime_ns);
      job->status = reader.read(job->path.c_str(), job->data, job->error);
    }
    {
      std::lock_guard lock(mutex_);
      finished_.push_back(std::move(job));
    }
    work_done_.notify_one();
  }
}

} // namespace disorder
