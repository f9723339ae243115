package testkit

import "sync"

// Tally calls f on every replica at once and returns how many calls
// returned each distinct value, and the errors of those that failed: a
// fleet sharing a store should agree on one value.
func Tally[T any](replicas []T, f func(T) (string, error)) (map[string]int, []error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[string]int{}
		errs []error
	)
	for _, r := range replicas {
		wg.Go(func() {
			v, err := f(r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			seen[v]++
		})
	}
	wg.Wait()
	return seen, errs
}
