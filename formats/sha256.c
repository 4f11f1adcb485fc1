/*
 * The SHA-256 of a file, by libcrypto (OpenSSL's EVP digests: its
 * SHA-256 uses the processor's SHA extensions where it has them, four
 * times sha256sum's speed on the machines we run on).  Linked only into
 * the programs that call it (-lcrypto): card-edit, tiers-sum.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tiers.h"

/*
 * The SHA-256 of what fd holds from its offset to its end, in lower-case
 * hex (65 bytes with the NUL): 0, or -1 with errno (EIO when libcrypto
 * fails).
 */
int
sha256_fd(int fd, char hex[SHA256_HEXSZ])
{
	static const char x[] = "0123456789abcdef";
	enum { BUFSZ = 1 << 20 };
	unsigned char *buf;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	ssize_t k;
	int e = 0;

	buf = xmalloc(BUFSZ);
	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		free(buf);
		errno = EIO;
		return -1;
	}
	while ((k = read(fd, buf, BUFSZ)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			break;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)k) != 1) {
			e = EIO;
			break;
		}
	}
	if (e == 0 && (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32))
		e = EIO;
	EVP_MD_CTX_free(ctx);
	free(buf);
	if (e != 0) {
		errno = e;
		return -1;
	}
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = x[md[i] >> 4];
		hex[2 * i + 1] = x[md[i] & 15];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}
