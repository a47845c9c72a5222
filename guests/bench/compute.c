#include "compute.h"

uint64_t compute_work(uint64_t seed, unsigned rounds)
{
	for (unsigned r = 0; r < rounds; r++)
		for (int i = 0; i < 1000; i++)
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return seed;
}
